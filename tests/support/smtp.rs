//! A real SMTP server on 127.0.0.1 (mailin-embedded) for the email tests and benchmark: it answers
//! 250, a 4xx or a 5xx as the test asks, and keeps every message it accepted.

#![allow(dead_code)]

use std::net::{IpAddr, SocketAddr, TcpListener};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use mailin_embedded::{Handler, Response, Server, response};

/// How the server answers each recipient.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    Accept,
    /// 451: try again later.
    Transient,
    /// 554: never.
    Permanent,
}

#[derive(Debug, Clone)]
pub struct Received {
    pub from: String,
    pub to: Vec<String>,
    pub data: Vec<u8>,
}

#[derive(Clone)]
pub struct SmtpServer {
    pub addr: SocketAddr,
    answer: Arc<Mutex<Answer>>,
    inbox: Arc<Mutex<Vec<Received>>>,
    sessions: Arc<AtomicUsize>,
}

impl SmtpServer {
    pub fn start(threads: u32) -> SmtpServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let answer = Arc::new(Mutex::new(Answer::Accept));
        let inbox = Arc::new(Mutex::new(Vec::new()));
        let sessions = Arc::new(AtomicUsize::new(0));
        let handler = Capture {
            answer: answer.clone(),
            inbox: inbox.clone(),
            sessions: sessions.clone(),
            current: None,
        };
        let mut server = Server::new(handler);
        server
            .with_name("test.smtp.local")
            .with_num_threads(threads)
            .with_tcp_listener(listener);
        // The thread ends with the test process.
        std::thread::spawn(move || {
            let _ = server.serve();
        });
        SmtpServer {
            addr,
            answer,
            inbox,
            sessions,
        }
    }

    pub fn url(&self) -> String {
        format!("smtp://{}", self.addr)
    }

    pub fn answer(&self, a: Answer) {
        *self.answer.lock().unwrap() = a;
    }

    pub fn inbox(&self) -> Vec<Received> {
        self.inbox.lock().unwrap().clone()
    }

    /// SMTP sessions opened so far (one EHLO each): few sessions for many messages is pooling.
    pub fn sessions(&self) -> usize {
        self.sessions.load(Ordering::SeqCst)
    }

    pub fn count(&self) -> usize {
        self.inbox.lock().unwrap().len()
    }
}

#[derive(Clone)]
struct Capture {
    answer: Arc<Mutex<Answer>>,
    inbox: Arc<Mutex<Vec<Received>>>,
    sessions: Arc<AtomicUsize>,
    current: Option<Received>,
}

impl Handler for Capture {
    fn data_start(&mut self, _domain: &str, from: &str, _is8bit: bool, to: &[String]) -> Response {
        self.current = Some(Received {
            from: from.to_string(),
            to: to.to_vec(),
            data: Vec::new(),
        });
        response::OK
    }

    fn data(&mut self, buf: &[u8]) -> std::io::Result<()> {
        if let Some(m) = &mut self.current {
            m.data.extend_from_slice(buf);
        }
        Ok(())
    }

    fn data_end(&mut self) -> Response {
        if let Some(m) = self.current.take() {
            self.inbox.lock().unwrap().push(m);
        }
        response::OK
    }

    // Refusals come at RCPT, as real servers send them: mailin's state machine stays in DATA
    // after an error answer to the message itself, and would swallow the client's QUIT.
    fn rcpt(&mut self, _to: &str) -> Response {
        match *self.answer.lock().unwrap() {
            Answer::Accept => response::OK,
            Answer::Transient => Response::custom(451, "4.3.0 try again later".into()),
            Answer::Permanent => Response::custom(554, "5.7.1 message refused".into()),
        }
    }

    fn helo(&mut self, _ip: IpAddr, _domain: &str) -> Response {
        self.sessions.fetch_add(1, Ordering::SeqCst);
        response::OK
    }
}
