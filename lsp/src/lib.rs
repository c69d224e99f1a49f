//! The Route language server: `leadroute lsp` speaks the Language Server
//! Protocol over standard input and output, reusing the compiler's parser,
//! checker and analyses (no second parser).

mod actions;
mod completion;
pub mod convert;
pub mod index;
mod lex;
mod navigate;
mod output;
mod requests;
pub mod server;
mod stale;
pub mod sync;
mod tables;
mod tokens;
mod transport;
mod worker;
pub mod workspace;

/// Serves an editor over standard input/output until it shuts the server down.
pub fn run_stdio() -> Result<(), String> {
    let (conn, raw, threads) = transport::stdio();
    let result = server::serve(&conn, Some(raw));
    drop(conn);
    // The reader thread may be blocked on standard input; the writer ends
    // when the connection's sender is dropped.
    if let Some(writer) = threads.into_iter().nth(1) {
        let _ = writer.join();
    }
    result
}

/// Serves one in-process connection (tests and embedders).
pub fn serve(conn: &lsp_server::Connection) -> Result<(), String> {
    server::serve(conn, None)
}
