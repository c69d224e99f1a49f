//! Where the server's messages go. Results are serialized from their typed
//! form straight to JSON text when the transport takes text (standard
//! output): an outline of 259,251 symbols never becomes a `serde_json::Value`.

use crossbeam_channel::Sender;
use lsp_server::{Connection, Message, Notification, RequestId, Response};

/// The connection, and the transport's channel for serialized replies if it has one.
pub struct Output<'c> {
    /// Notifications, errors, and every reply when `raw` is `None`.
    pub conn: &'c Connection,
    /// Framed and written as is by the transport.
    pub raw: Option<Sender<String>>,
}

impl Output<'_> {
    /// Sends a message.
    pub fn send(&self, m: Message) -> Result<(), String> {
        self.conn.sender.send(m).map_err(|e| e.to_string())
    }

    /// Answers request `id` with `result`.
    pub fn result<T: serde::Serialize>(&self, id: RequestId, result: &T) -> Result<(), String> {
        #[derive(serde::Serialize)]
        struct Reply<'a, T> {
            jsonrpc: &'static str,
            id: &'a RequestId,
            result: &'a T,
        }
        match &self.raw {
            Some(raw) => {
                let text = serde_json::to_string(&Reply { jsonrpc: "2.0", id: &id, result }).map_err(|e| e.to_string())?;
                raw.send(text).map_err(|e| e.to_string())
            }
            None => self.send(Message::Response(Response::new_ok(id, result))),
        }
    }

    /// Sends notification `method` with `params` (straight to JSON text when the transport takes text).
    pub fn notify<T: serde::Serialize>(&self, method: &str, params: &T) -> Result<(), String> {
        #[derive(serde::Serialize)]
        struct Note<'a, T> {
            jsonrpc: &'static str,
            method: &'a str,
            params: &'a T,
        }
        match &self.raw {
            Some(raw) => {
                let text = serde_json::to_string(&Note { jsonrpc: "2.0", method, params }).map_err(|e| e.to_string())?;
                raw.send(text).map_err(|e| e.to_string())
            }
            None => self.send(Message::Notification(Notification::new(method.to_string(), params))),
        }
    }

    /// Answers request `id` with an error.
    pub fn error(&self, id: RequestId, code: i32, message: String) -> Result<(), String> {
        self.send(Message::Response(Response::new_err(id, code, message)))
    }
}
