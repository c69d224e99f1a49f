//! A small blocking HTTP client for the command line's talks with a running
//! service (`leadroute rollout ...`).

/// Sends one request to the service at `base` and returns the status and
/// the body as JSON (or as a JSON string when it is not JSON).
pub fn call(base: &str, method: &str, path: &str, body: Option<String>, token: Option<&str>) -> Result<(u16, serde_json::Value), String> {
    crate::delivery::installs_crypto();
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| format!("cannot start the runtime: {e}"))?;
    let url = format!("{}{path}", base.trim_end_matches('/'));
    rt.block_on(async move {
        let client = reqwest::Client::builder().timeout(std::time::Duration::from_secs(60)).build().map_err(|e| e.to_string())?;
        let method = reqwest::Method::from_bytes(method.as_bytes()).map_err(|e| e.to_string())?;
        let mut req = client.request(method, &url).header("content-type", "application/json");
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.body(b);
        }
        let resp = req.send().await.map_err(|e| format!("cannot reach the service at {url}: {e}"))?;
        let status = resp.status().as_u16();
        let text = resp.text().await.map_err(|e| e.to_string())?;
        Ok((status, serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text))))
    })
}
