//! An S3-compatible server on 127.0.0.1 for the recordings tests: moto's server, a real
//! process speaking the S3 protocol (installed by `scripts/test`; its path comes in
//! `SWITCHBOARD_TEST_S3_SERVER`, otherwise `moto_server` is looked up on the PATH).

use sb_service::recordings::{Recordings, S3Settings};
use std::time::Duration;
use tokio::process::{Child, Command};

pub struct S3Server {
    program: String,
    port: u16,
    child: Option<Child>,
}

impl S3Server {
    /// Starts a server on a free port; `None` when no server program is installed
    /// (`scripts/test` always installs one; so should any CI).
    pub async fn start() -> Option<S3Server> {
        let program = match std::env::var("SWITCHBOARD_TEST_S3_SERVER") {
            Ok(p) if !p.is_empty() => p,
            _ => {
                let found = std::process::Command::new("moto_server")
                    .arg("--help")
                    .stdout(std::process::Stdio::null())
                    .stderr(std::process::Stdio::null())
                    .status()
                    .is_ok_and(|s| s.success());
                if !found {
                    return None;
                }
                "moto_server".to_string()
            }
        };
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let mut s = S3Server {
            program,
            port,
            child: None,
        };
        s.resume().await;
        Some(s)
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Settings for a bucket on this server (created here if missing).
    pub async fn bucket(&self, bucket: &str, prefix: &str) -> S3Settings {
        let r = reqwest::Client::new()
            .put(format!("{}/{bucket}", self.url()))
            .send()
            .await
            .expect("create the bucket");
        assert!(r.status().is_success(), "create bucket: {}", r.status());
        S3Settings {
            bucket: bucket.into(),
            prefix: prefix.into(),
            endpoint: self.url(),
            region: "us-east-1".into(),
            access_key_id: "test-key".into(),
            secret_access_key: "test-secret".into(),
        }
    }

    /// An object's bytes as the server holds them, read with a client of its own
    /// (`None` when there is no such key).
    pub async fn object(&self, settings: &S3Settings, key: &str) -> Option<Vec<u8>> {
        let whole_bucket = S3Settings {
            prefix: String::new(),
            ..settings.clone()
        };
        let store = Recordings::s3(&whole_bucket).expect("an S3 client");
        store.get(key).await.expect("the S3 server answers")
    }

    /// Stops the server (an outage); it forgets every bucket.
    pub async fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill().await;
        }
    }

    /// Starts the server again on the same port and waits until it answers.
    pub async fn resume(&mut self) {
        let child = Command::new(&self.program)
            .args(["-H", "127.0.0.1", "-p", &self.port.to_string()])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| panic!("starting {}: {e}", self.program));
        self.child = Some(child);
        let client = reqwest::Client::new();
        for _ in 0..200 {
            if client.get(self.url()).send().await.is_ok() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!(
            "{} did not answer on {} within 20 s",
            self.program,
            self.url()
        );
    }
}
