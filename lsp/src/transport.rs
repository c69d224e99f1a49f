//! Standard input/output framing that survives bad input: a message that is
//! not JSON, or not a JSON-RPC message, gets a `-32700` error reply and the
//! server reads on (lsp-server's own stdio transport stops at the first one).
//! Memory is bounded: a message larger than [`MAX_MESSAGE`] is skipped with an
//! error reply, and header lines longer than [`MAX_HEADER_LINE`] are dropped.

use std::io::{BufRead, Read, Write};
use std::sync::{Arc, Mutex};

use lsp_server::{Connection, Message};

/// The largest message body read (64 MiB: a 10 MB document, escaped, twice over).
pub const MAX_MESSAGE: usize = 64 * 1024 * 1024;
/// The longest header line kept; longer lines are read through and ignored.
pub const MAX_HEADER_LINE: usize = 8 * 1024;

/// Reads one header line into `line` (without keeping more than
/// [`MAX_HEADER_LINE`] bytes of it); `false` at end of input.
fn read_header_line(input: &mut impl BufRead, line: &mut Vec<u8>) -> bool {
    line.clear();
    let mut overlong = false;
    loop {
        let buf = match input.fill_buf() {
            Ok([]) | Err(_) => return false,
            Ok(buf) => buf,
        };
        let (done, used) = match buf.iter().position(|&b| b == b'\n') {
            Some(i) => (true, i + 1),
            None => (false, buf.len()),
        };
        if !overlong {
            if line.len() + used <= MAX_HEADER_LINE {
                line.extend_from_slice(&buf[..used]);
            } else {
                overlong = true;
                line.clear();
            }
        }
        input.consume(used);
        if done {
            if overlong {
                // Kept as a line without `:`: skipped like any malformed header.
                line.push(b'?');
            }
            return true;
        }
    }
}

/// The error reply to a message that could not be read (it has no id).
fn parse_error(message: String) -> String {
    serde_json::json!({ "jsonrpc": "2.0", "id": null, "error": { "code": -32700, "message": message } }).to_string()
}

fn write_framed(out: &Mutex<std::io::Stdout>, text: &str) -> std::io::Result<()> {
    // A poisoned lock only means another writer panicked mid-message; keep going.
    let mut out = out.lock().unwrap_or_else(|e| e.into_inner());
    write!(out, "Content-Length: {}\r\n\r\n", text.len())?;
    out.write_all(text.as_bytes())?;
    out.flush()
}

/// A connection over this process's standard input and output, a channel
/// for replies already serialized to text (large results skip
/// `serde_json::Value`), and the threads that run them (join them after the
/// server returns).
pub fn stdio() -> (Connection, crossbeam_channel::Sender<String>, Vec<std::thread::JoinHandle<()>>) {
    let (to_server, from_client) = crossbeam_channel::unbounded::<Message>();
    let (to_client, from_server) = crossbeam_channel::unbounded::<Message>();
    let (raw_to_client, raw_from_server) = crossbeam_channel::unbounded::<String>();
    let stdout = Arc::new(Mutex::new(std::io::stdout()));
    let out = stdout.clone();
    let writer = std::thread::spawn(move || {
        #[derive(serde::Serialize)]
        struct JsonRpc<'a> {
            jsonrpc: &'static str,
            #[serde(flatten)]
            msg: &'a Message,
        }
        // Ends when both senders are gone: the server has returned.
        let (mut messages, mut raw) = (Some(from_server), Some(raw_from_server));
        while messages.is_some() || raw.is_some() {
            let never_m = crossbeam_channel::never();
            let never_r = crossbeam_channel::never();
            let text = crossbeam_channel::select! {
                recv(messages.as_ref().unwrap_or(&never_m)) -> m => match m {
                    Ok(msg) => serde_json::to_string(&JsonRpc { jsonrpc: "2.0", msg: &msg }).ok(),
                    Err(_) => { messages = None; None }
                },
                recv(raw.as_ref().unwrap_or(&never_r)) -> t => match t {
                    Ok(text) => Some(text),
                    Err(_) => { raw = None; None }
                },
            };
            if let Some(text) = text {
                if write_framed(&out, &text).is_err() {
                    return;
                }
            }
        }
    });
    let reader = std::thread::spawn(move || {
        let stdin = std::io::stdin();
        let mut input = stdin.lock();
        loop {
            let mut size: Option<u64> = None;
            let mut line = Vec::new();
            // Headers, up to the blank line. A malformed header line is skipped.
            loop {
                if !read_header_line(&mut input, &mut line) {
                    return;
                }
                let text = String::from_utf8_lossy(&line);
                let l = text.trim_end_matches(['\r', '\n']);
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
            let size = size.unwrap_or(0);
            if size > MAX_MESSAGE as u64 {
                let reply = parse_error(format!("a message of {size} bytes is larger than the {} MiB limit; it was skipped", MAX_MESSAGE / (1024 * 1024)));
                let _ = write_framed(&stdout, &reply);
                // Read the body through without keeping it, then carry on.
                let skipped = std::io::copy(&mut (&mut input).take(size), &mut std::io::sink());
                if skipped.map_or(true, |n| n < size) {
                    return;
                }
                continue;
            }
            // `size` is at most MAX_MESSAGE, so it fits in usize.
            let mut body = vec![0u8; size as usize];
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
                    let _ = write_framed(&stdout, &parse_error(format!("not a JSON-RPC message: {e}")));
                }
            }
        }
    });
    (Connection { sender: to_client, receiver: from_client }, raw_to_client, vec![reader, writer])
}
