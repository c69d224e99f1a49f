//! Standard input/output framing that survives bad input: a message that is
//! not JSON, or not a JSON-RPC message, gets a `-32700` error reply and the
//! server reads on (lsp-server's own stdio transport stops at the first one).

use std::io::{BufRead, Read, Write};
use std::sync::{Arc, Mutex};

use lsp_server::{Connection, Message};

fn write_framed(out: &Mutex<std::io::Stdout>, text: &str) -> std::io::Result<()> {
    // A poisoned lock only means another writer panicked mid-message; keep going.
    let mut out = out.lock().unwrap_or_else(|e| e.into_inner());
    write!(out, "Content-Length: {}\r\n\r\n", text.len())?;
    out.write_all(text.as_bytes())?;
    out.flush()
}

/// A connection over this process's standard input and output, and the
/// threads that run it (join them after the server returns).
pub fn stdio() -> (Connection, Vec<std::thread::JoinHandle<()>>) {
    let (to_server, from_client) = crossbeam_channel::unbounded::<Message>();
    let (to_client, from_server) = crossbeam_channel::unbounded::<Message>();
    let stdout = Arc::new(Mutex::new(std::io::stdout()));
    let out = stdout.clone();
    let writer = std::thread::spawn(move || {
        for msg in from_server {
            #[derive(serde::Serialize)]
            struct JsonRpc<'a> {
                jsonrpc: &'static str,
                #[serde(flatten)]
                msg: &'a Message,
            }
            let Ok(text) = serde_json::to_string(&JsonRpc { jsonrpc: "2.0", msg: &msg }) else { continue };
            if write_framed(&out, &text).is_err() {
                return;
            }
        }
    });
    let reader = std::thread::spawn(move || {
        let stdin = std::io::stdin();
        let mut input = stdin.lock();
        loop {
            let mut size: Option<usize> = None;
            let mut line = String::new();
            // Headers, up to the blank line. A malformed header line is skipped.
            loop {
                line.clear();
                match input.read_line(&mut line) {
                    Ok(0) | Err(_) => return,
                    Ok(_) => {}
                }
                let l = line.trim_end_matches(['\r', '\n']);
                if l.is_empty() {
                    if size.is_some() {
                        break;
                    }
                    continue;
                }
                if let Some((name, value)) = l.split_once(':') {
                    if name.trim().eq_ignore_ascii_case("Content-Length") {
                        size = value.trim().parse().ok();
                    }
                }
            }
            let mut body = vec![0u8; size.unwrap_or(0)];
            if input.read_exact(&mut body).is_err() {
                return;
            }
            match serde_json::from_slice::<Message>(&body) {
                Ok(msg) => {
                    let exit = matches!(&msg, Message::Notification(n) if n.method == "exit");
                    if to_server.send(msg).is_err() || exit {
                        return;
                    }
                }
                Err(e) => {
                    let reply = serde_json::json!({
                        "jsonrpc": "2.0", "id": null,
                        "error": { "code": -32700, "message": format!("not a JSON-RPC message: {e}") },
                    });
                    let _ = write_framed(&stdout, &reply.to_string());
                }
            }
        }
    });
    (Connection { sender: to_client, receiver: from_client }, vec![reader, writer])
}
