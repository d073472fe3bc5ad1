// Node's https client as a user calls it, for the conformance suite.
//
//   node node_client.js HOST PORT CAFILE
//
// https.request({ ca: fs.readFileSync(CAFILE) }); HOST resolves to 127.0.0.1 through the
// `lookup` option (it stands in for DNS). Prints one JSON object: accepted, code, message.
'use strict';
const fs = require('fs');
const https = require('https');
const net = require('net');

const [host, port, cafile] = process.argv.slice(2);
function report(obj) { process.stdout.write(JSON.stringify(obj) + '\n'); process.exit(0); }

let ca; // CAFILE `-`: Node's default store
try { if (cafile !== '-') ca = fs.readFileSync(cafile); } catch (e) { report({ accepted: false, code: e.code || null, message: e.message }); }

const lookup = (name, opts, cb) => {
  if (opts && opts.all) cb(null, [{ address: '127.0.0.1', family: 4 }]);
  else cb(null, '127.0.0.1', 4);
};
const options = { host, port: Number(port), path: '/', method: 'GET', ca, agent: false, timeout: 10000 };
if (!net.isIP(host)) options.lookup = lookup;
try {
  const req = https.request(options, (res) => { res.resume(); res.on('end', () => report({ accepted: true })); });
  req.on('timeout', () => req.destroy(new Error('timeout')));
  req.on('error', (e) => report({ accepted: false, code: e.code || null, message: e.message }));
  req.end();
} catch (e) {
  report({ accepted: false, code: e.code || null, message: e.message });
}
