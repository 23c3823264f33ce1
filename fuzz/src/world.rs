//! World: running a handshake step by step, cached and duplicated per prefix.

use nanodtls::Connection;
use std::cell::RefCell;
use std::collections::{HashMap, VecDeque};

use crate::*;

impl World {
    /// A new world: client connected (its ClientHello not yet polled).
    pub fn new(setup: Setup) -> World {
        let mut cenv = FuzzEnv::new(0xC11E, 0);
        let mut senv = FuzzEnv::new(0x5E4E, 2);
        let client = setup.new_client(&mut cenv);
        let srv = if setup.endpoint {
            let (ep, slots) = setup.new_endpoint(&mut senv);
            Srv::Ep { ep, slots }
        } else {
            Srv::Conn(setup.new_server(&mut senv))
        };
        let mut w = World {
            setup,
            now: START_MS,
            client,
            cenv,
            cout: Outbox::default(),
            srv,
            senv,
            sout: Outbox::default(),
            to_client: VecDeque::new(),
            to_server: VecDeque::new(),
            delivered_to_client: 0,
            delivered_to_server: 0,
            session_blob: Vec::new(),
        };
        w.client.connect(&mut w.cenv, w.now).expect("connect");
        w
    }

    /// A snapshot of the whole world.
    pub fn dup(&self) -> World {
        World {
            setup: self.setup,
            now: self.now,
            client: dup_box(&*self.client),
            cenv: self.cenv.dup(),
            cout: self.cout.clone(),
            srv: self.srv.dup(),
            senv: self.senv.dup(),
            sout: self.sout.clone(),
            to_client: self.to_client.clone(),
            to_server: self.to_server.clone(),
            delivered_to_client: self.delivered_to_client,
            delivered_to_server: self.delivered_to_server,
            session_blob: self.session_blob.clone(),
        }
    }

    /// The server connection (None for an endpoint).
    pub fn server_conn(&mut self) -> Option<&mut Connection> {
        match &mut self.srv {
            Srv::Conn(c) => Some(c),
            Srv::Ep { .. } => None,
        }
    }

    /// The server connection (panics for an endpoint).
    pub fn server_conn_ref(&self) -> &Connection {
        match &self.srv {
            Srv::Conn(c) => c,
            Srv::Ep { .. } => panic!("not a single server connection"),
        }
    }

    /// Poll the client into `to_server` (written datagrams first).
    pub fn pump_client(&mut self) {
        drain_conn(&mut self.client, &self.cenv, self.now, &mut self.cout, &mut self.to_server, "client poll");
    }

    /// Poll the server into `to_client` (written datagrams first; an
    /// endpoint's datagrams to other addresses are dropped).
    pub fn pump_server(&mut self) {
        let now = self.now;
        match &mut self.srv {
            Srv::Conn(s) => drain_conn(s, &self.senv, now, &mut self.sout, &mut self.to_client, "server poll"),
            Srv::Ep { ep, slots } => {
                drain_endpoint(ep, slots, &self.senv, now, self.setup.mtu, &mut self.sout, &mut self.to_client)
            }
        }
    }

    /// Poll both sides into the queues.
    pub fn pump(&mut self) {
        self.pump_client();
        self.pump_server();
    }

    /// Deliver one datagram to the client (see [`feed_conn`]).
    pub fn feed_client(&mut self, d: &[u8]) -> FedAll {
        feed_conn(&mut self.client, &mut self.cenv, self.now, d, self.setup.tag_len(), "client feed")
    }

    /// Deliver one datagram to the server from [`ADDR_A`] (see [`Srv::feed`]).
    pub fn feed_server(&mut self, d: &[u8]) -> FedAll {
        let tag = self.setup.tag_len();
        self.srv.feed(&mut self.senv, self.now, ADDR_A, d, tag)
    }

    /// Run the handshake lossless until `k` datagrams were delivered to
    /// `side` (or nothing moves any more).
    pub fn run_to(&mut self, side: Side, k: u8) {
        for _ in 0..200 {
            self.pump();
            let reached = match side {
                Side::Client => self.delivered_to_client >= k,
                Side::Server => self.delivered_to_server >= k,
            };
            if reached {
                return;
            }
            if let Some(d) = self.to_server.pop_front() {
                let fed = self.feed_server(&d);
                assert!(fed.apps.is_empty(), "application data during the setup handshake");
                self.delivered_to_server += 1;
            } else if let Some(d) = self.to_client.pop_front() {
                let fed = self.feed_client(&d);
                assert!(fed.apps.is_empty(), "application data during the setup handshake");
                self.delivered_to_client += 1;
            } else {
                return;
            }
        }
        panic!("setup handshake did not settle");
    }

    /// Resumption: export the client's session, start a new client that
    /// imports it, and a new server (an endpoint keeps its slots: the new
    /// ClientHello from the same address replaces the association).
    pub fn restart_for_resumption(&mut self) {
        let mut blob = [0u8; 512];
        let Ok(n) = self.client.export_session(&mut blob) else { return };
        self.session_blob = blob[..n].to_vec();
        let mut c = self.setup.new_client(&mut self.cenv);
        c.import_session(&blob[..n]).expect("import of a fresh export");
        self.client = c;
        self.cout.reset();
        if let Srv::Conn(_) = self.srv {
            self.srv = Srv::Conn(self.setup.new_server(&mut self.senv));
        }
        self.sout.reset();
        self.to_client.clear();
        self.to_server.clear();
        self.delivered_to_client = 0;
        self.delivered_to_server = 0;
        self.now += 5_000;
        self.client.connect(&mut self.cenv, self.now).expect("connect (resume)");
    }

    /// The world of `setup` stopped after `step` datagrams were delivered to
    /// `side` (cached).
    pub fn at(setup: Setup, side: Side, step: u8) -> World {
        thread_local! {
            static CACHE: RefCell<HashMap<(Setup, Side, u8), World>> = RefCell::new(HashMap::new());
        }
        let key = (setup, side, step);
        if let Some(w) = CACHE.with(|c| c.borrow().get(&key).map(World::dup)) {
            return w;
        }
        let mut w = World::new(setup);
        if setup.resume() {
            w.run_to(Side::Client, 100);
            w.restart_for_resumption();
        }
        w.run_to(side, step);
        CACHE.with(|c| {
            let mut c = c.borrow_mut();
            if c.len() >= 1024 {
                c.clear();
            }
            c.insert(key, w.dup());
        });
        w
    }
}
