/* global process */
/**
 * Preload (node --require) that makes every way out to the network throw: TCP sockets, TLS, HTTP(S),
 * fetch and DNS. Node runs --require preloads in worker threads too (unlike --import in Node 20), so
 * the OCR workers are covered. Unix-domain sockets stay allowed: they are local IPC (tsx's loader
 * talks to its CLI over one). CommonJS because of that; builtins come from getBuiltinModule.
 */
const dns = process.getBuiltinModule('node:dns');
const http = process.getBuiltinModule('node:http');
const https = process.getBuiltinModule('node:https');
const { syncBuiltinESMExports } = process.getBuiltinModule('node:module');
const net = process.getBuiltinModule('node:net');
const tls = process.getBuiltinModule('node:tls');

function deny(what) {
  return function denied() {
    const message = `network access denied: ${what}`;
    process.stderr.write(`${message}\n`);
    throw new Error(message);
  };
}

/** A connect call aimed at a filesystem path rather than a host and port. */
const isLocal = (args) => {
  const [first] = args;
  const options = Array.isArray(first) ? first[0] : first;
  return (
    (typeof options === 'string' && !/^\d+$/.test(options)) ||
    (typeof options === 'object' && options !== null && typeof options.path === 'string')
  );
};

function denyRemote(what, original) {
  const denied = deny(what);
  return function connect(...args) {
    return isLocal(args) ? original.apply(this, args) : denied();
  };
}

net.Socket.prototype.connect = denyRemote('net.Socket.connect', net.Socket.prototype.connect);
net.connect = denyRemote('net.connect', net.connect);
net.createConnection = denyRemote('net.createConnection', net.createConnection);
tls.connect = deny('tls.connect');
http.request = deny('http.request');
http.get = deny('http.get');
https.request = deny('https.request');
https.get = deny('https.get');
for (const name of ['lookup', 'resolve', 'resolve4', 'resolve6']) {
  dns[name] = deny(`dns.${name}`);
  dns.promises[name] = deny(`dns.promises.${name}`);
}
globalThis.fetch = deny('fetch');
// Named imports of the patched modules (import { connect } from 'node:net') see the patches too.
syncBuiltinESMExports();
