//! The Route language server: `leadroute lsp` speaks the Language Server
//! Protocol over standard input and output, reusing the compiler's parser,
//! checker and analyses (no second parser).

mod actions;
mod completion;
pub mod convert;
pub mod index;
mod navigate;
pub mod server;
mod tokens;
pub mod workspace;

/// Serves an editor over standard input/output until it shuts the server down.
pub fn run_stdio() -> Result<(), String> {
    let (conn, io) = lsp_server::Connection::stdio();
    server::serve(&conn)?;
    drop(conn);
    io.join().map_err(|e| format!("i/o: {e}"))
}

/// Serves one in-process connection (tests and embedders).
pub fn serve(conn: &lsp_server::Connection) -> Result<(), String> {
    server::serve(conn)
}
