// A fake Substrate node for the chain tests: JSON-RPC 2.0 over WebSocket and HTTP POST on one
// loopback port, as a node serves them. Every answer's bytes (headers, block hashes, runtime
// version, metadata, storage keys and values, extrinsic hashes, transaction statuses) are
// encoded by polkadot-js (@polkadot/types, @polkadot/util-crypto), never by Mycelium's code, so
// the tests check our client against an independent implementation.
//
//   node fake_chain.mjs [--port N] [--expected FILE] [--tls-cert PEM --tls-key PEM]
//                       [--runtime FIXTURE]
//
// Listens on 127.0.0.1:N (0: any free port) and prints "fake_chain listening on PORT" when
// ready; with a certificate and key, also on a free port with TLS, printed after "tls" (the
// tests use tls/test-only-cert.pem, a self-signed certificate for 127.0.0.1 and localhost). --expected writes what a client should read (block hashes and numbers, the runtime
// version, the metadata, storage keys and values, an account's next index) as JSON.
// The runtime is Substrate's node as @polkadot/types-support records it, or with --runtime a
// recorded one (fixtures/*.json: "metadata", "specVersion", "transactionVersion", "genesisHash"):
// its metadata, its System.Version (with the fixture's versions checked against it) and its
// genesis hash as block 0's hash.
//
// The test drives it with one command a line on standard input; each is acknowledged with a
// line "ok <command>" on standard output (or "error <why>"):
//   hang on|off                  stop / resume answering JSON-RPC requests
//   drop                         close every open WebSocket now, without a close frame
//   drop-next N                  the next N requests lose their connection instead of an answer
//   drop-after METHOD            the next METHOD call is answered, then its connection dropped
//   error METHOD CODE MESSAGE    the next METHOD call answers with this JSON-RPC error
//   malformed METHOD KIND        the next METHOD answer is broken: KIND is "text" (not JSON),
//                                "no-result" (neither result nor error), "decoy" (an answer
//                                with another id and result first, then the real one), "bad-hex"
//   fragment BYTES               WebSocket answers in frames of at most BYTES (0: one frame)
//   state-call METHOD PARAMS RESULT   state_call(METHOD, PARAMS) answers RESULT (hex)
//   subnet JSON                  installs a subnet (fake_subnet.mjs says how): its
//                                NeuronInfoRuntimeApi_get_neurons_lite answers what polkadot-js
//                                encodes; acknowledged with "ok subnet HEX", the answer
//   state-calls                  prints "state-calls [[METHOD, PARAMS, AT], ...]": the calls
//                                received so far
//   watch-status STATUS          the next watched extrinsic ends with STATUS (e.g. invalid)
//   submitted                    prints "submitted [{hex, hash, best}, ...]": what the node
//                                received, and its best block number then
//   decode-submitted             prints "decoded [...]": each submitted extrinsic as polkadot-js
//                                decodes it ({hash, section, method, args, signer, nonce, tip,
//                                era: {period, phase}, birth, signatureValid}); the signature is
//                                checked over the payload polkadot-js builds from the extrinsic,
//                                the runtime's versions and genesis and the era's birth block
//   storage ENTRY ARGS VALUE     sets the storage item ENTRY ("subtensorModule.weightsVersionKey")
//                                at the keys ARGS (a JSON array) to VALUE (JSON, encoded as the
//                                item's type), or removes it with VALUE "none"
//   next-index SS58 N            system_accountNextIndex answers N for the account
//   calls METHOD                 prints "calls N": how many METHOD requests have come
//   restart MS                   close the port and every connection ("ok restart"), listen
//                                again after MS ("listening again")
//   stop                         exit
//
// A submitted extrinsic goes into a new block 100 ms later, finalized 100 ms after that.

import { createServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createInterface } from 'node:readline';
import { readFileSync, writeFileSync } from 'node:fs';

import { WebSocketServer } from 'ws';
import { Metadata, TypeRegistry } from '@polkadot/types';
import { decorateConstants, decorateStorage } from '@polkadot/types/metadata/decorate';
import metadataHex from '@polkadot/types-support/metadata/v14/substrate-hex';
import runtimeVersion from '@polkadot/types-support/metadata/v14/substrate-ver';
import { compactStripLength, u8aToHex } from '@polkadot/util';
import { blake2AsHex, blake2AsU8a, cryptoWaitReady, decodeAddress, sr25519Verify } from '@polkadot/util-crypto';

import { neuronsLiteAnswer, netuidParam } from './fake_subnet.mjs';

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : fallback;
};
let port = Number(option('--port', '0'));
const expectedFile = option('--expected', '');
const runtimeFile = option('--runtime', '');
const recordedRuntime = runtimeFile ? JSON.parse(readFileSync(runtimeFile, 'utf8')) : null;
await cryptoWaitReady();

// The chain's types: Substrate's own node metadata (v14) as @polkadot/types-support ships it, or
// the recorded runtime's. Subtensor's own signed extensions are unit structs (no data): said so,
// polkadot-js encodes nothing for them without warning that it does not know them.
const registry = new TypeRegistry();
const metadata = new Metadata(registry, recordedRuntime ? recordedRuntime.metadata : metadataHex);
registry.setMetadata(metadata, undefined, {
  SubtensorSignedExtension: { extrinsic: {}, payload: {} },
  CommitmentsSignedExtension: { extrinsic: {}, payload: {} },
});
const storage = decorateStorage(registry, metadata.asLatest, metadata.version);
const storageKey = (entry, ...keyArgs) => u8aToHex(compactStripLength(entry(...keyArgs))[1]);

// Blocks 0..3, each header encoded and hashed by polkadot-js; block 2 is finalized.
const blocks = [];
function addBlock(extrinsics) {
  const number = blocks.length;
  const parentHash = number === 0 ? '0x' + '00'.repeat(32) : blocks[number - 1].hash;
  const header = registry.createType('Header', {
    parentHash,
    number,
    stateRoot: blake2AsHex(`state root of block ${number}`),
    // Not a real trie root: nothing here checks one.
    extrinsicsRoot: blake2AsHex(extrinsics.join('')),
    digest: { logs: number === 0 ? [] : [{ PreRuntime: ['0x61757261', blake2AsHex(`slot ${number}`)] }] },
  });
  // A recorded runtime's block 0 has its chain's genesis hash (its header here is not the real one).
  const hash = number === 0 && recordedRuntime ? recordedRuntime.genesisHash : header.hash.toHex();
  const block = { number, header, hash, extrinsics };
  blocks.push(block);
  return block;
}
for (let i = 0; i < 4; ++i) addBlock([]);
let finalized = 2;

// The header as a node's JSON-RPC writes it: the number as a hex string, digest items as hex.
const headerJson = (block) => ({
  parentHash: block.header.parentHash.toHex(),
  number: '0x' + block.number.toString(16),
  stateRoot: block.header.stateRoot.toHex(),
  extrinsicsRoot: block.header.extrinsicsRoot.toHex(),
  digest: { logs: block.header.digest.logs.map((log) => log.toHex()) },
});

// Alice's account: nonce 7.
const alice = '5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY';
const accountInfo = registry.createType('AccountInfo', {
  nonce: 7,
  providers: 1,
  data: { free: 1234567890123n },
});
const storageValues = new Map([
  [storageKey(storage.system.account, alice), accountInfo.toHex()],
  [storageKey(storage.system.number), u8aToHex(registry.createType('u32', blocks.length - 1).toU8a())],
]);
const absentKey = storageKey(storage.system.account, '5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694ty');
const nonces = new Map([[u8aToHex(decodeAddress(alice)), accountInfo.nonce.toNumber()]]);

// The metadata and runtime version, re-encoded by polkadot-js from what it decoded. A recorded
// runtime's version is its System.Version constant, which must agree with the fixture.
const metadataBytes = metadata.toHex();
function recordedVersion() {
  const constant = decorateConstants(registry, metadata.asLatest, metadata.version).system.version;
  const recorded = registry.createType('RuntimeVersion', constant.toJSON());
  if (recorded.specVersion.toNumber() !== recordedRuntime.specVersion ||
      recorded.transactionVersion.toNumber() !== recordedRuntime.transactionVersion)
    throw new Error(`${runtimeFile}: System.Version says spec ${recorded.specVersion}, transaction ` +
                    `${recorded.transactionVersion}; the fixture says ${recordedRuntime.specVersion}, ` +
                    `${recordedRuntime.transactionVersion}`);
  return recorded;
}
const version = recordedRuntime ? recordedVersion() : registry.createType('RuntimeVersion', runtimeVersion);
const versionJson = {
  specName: version.specName.toString(),
  implName: version.implName.toString(),
  authoringVersion: version.authoringVersion.toNumber(),
  specVersion: version.specVersion.toNumber(),
  implVersion: version.implVersion.toNumber(),
  apis: version.apis.map(([id, v]) => [id.toHex(), v.toNumber()]),
  transactionVersion: version.transactionVersion.toNumber(),
  stateVersion: version.stateVersion.toNumber(),
};

// Test controls.
let hanging = false;
let dropNext = 0;
const dropAfter = new Set(); // methods
let fragmentBytes = 0;
let nextWatchEnd = null;
const injectedErrors = new Map(); // method -> {code, message}
const malformed = new Map(); // method -> kind
const stateCalls = new Map(); // `${method} ${params}` -> result
const stateCallLog = []; // [method, params, at]
const submitted = [];
const callCounts = new Map(); // method -> requests
const watchers = new Map(); // subscription id -> {send, hash}
let nextSubscription = 1;

class RpcError extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}

const blockByHash = (hash) => blocks.find((b) => b.hash === hash);
const atBlock = (at) => {
  if (at === undefined || at === null) return blocks[blocks.length - 1];
  const block = blockByHash(at);
  // What Substrate answers for a hash it does not know.
  if (!block) throw new RpcError(4003, `Client error: UnknownBlock: Header was not found in the database: ${at}`);
  return block;
};
const bestOrByHash = (hash) =>
  hash === undefined || hash === null ? blocks[blocks.length - 1] : blockByHash(hash);

function notifyAll(hash, status) {
  for (const [id, w] of watchers)
    if (w.hash === hash) {
      w.send({
        jsonrpc: '2.0',
        method: 'author_extrinsicUpdate',
        params: { subscription: id, result: registry.createType('ExtrinsicStatus', status).toJSON() },
      });
      const more = status === 'ready' || (typeof status === 'object' && 'inBlock' in status);
      if (!more) watchers.delete(id);
    }
}

function submit(hex) {
  const bytes = registry.createType('Bytes', hex); // validates the hex
  const hash = blake2AsHex(bytes.toU8a(true));
  submitted.push({ hex, hash, best: blocks.length - 1 });
  const end = nextWatchEnd;
  nextWatchEnd = null;
  if (end) {
    setTimeout(() => notifyAll(hash, end), 100);
    return hash;
  }
  setTimeout(() => {
    const block = addBlock([hex]);
    notifyAll(hash, { inBlock: block.hash });
    setTimeout(() => {
      finalized = Math.max(finalized, block.number);
      notifyAll(hash, { finalized: block.hash });
    }, 100);
  }, 100);
  return hash;
}

// A submitted extrinsic as polkadot-js reads it, its signature checked over the payload
// polkadot-js builds for it: the call, the extrinsic's era, nonce and tip, this chain's versions
// and genesis, and the hash of the era's birth block seen from the best block at submission.
function decodeSubmitted({ hex, hash, best }) {
  const extrinsic = registry.createType('Extrinsic', hex);
  const { method, signature } = extrinsic;
  const names = method.meta.fields.map((field) => field.name.unwrap().toString());
  const era = extrinsic.era.asMortalEra;
  const birth = era.birth(best);
  const payload = registry.createType('ExtrinsicPayload', {
    method: method.toHex(),
    era: extrinsic.era,
    nonce: extrinsic.nonce,
    tip: extrinsic.tip,
    specVersion: version.specVersion,
    transactionVersion: version.transactionVersion,
    genesisHash: blocks[0].hash,
    blockHash: blocks[birth]?.hash ?? '0x' + '00'.repeat(32),
    mode: 0,
  }, { version: extrinsic.version & 0x7f });
  const signed = payload.toU8a({ method: true });
  const message = signed.length > 256 ? blake2AsU8a(signed, 256) : signed;
  return {
    hash,
    section: method.section,
    method: method.method,
    args: Object.fromEntries(names.map((name, i) => [name, method.args[i].toJSON()])),
    signer: extrinsic.signer.toString(),
    nonce: extrinsic.nonce.toNumber(),
    tip: extrinsic.tip.toString(),
    era: { period: era.period.toNumber(), phase: era.phase.toNumber() },
    birth,
    signatureValid: sr25519Verify(message, signature.toU8a(), decodeAddress(extrinsic.signer.toString())),
  };
}

// The answer to one call: its result, or an RpcError.
function answer(method, params, send) {
  switch (method) {
    case 'chain_getBlockHash': {
      const n = params[0];
      if (n === undefined || n === null) return blocks[blocks.length - 1].hash;
      const number = typeof n === 'string' ? parseInt(n, 16) : n;
      return number < blocks.length ? blocks[number].hash : null;
    }
    case 'chain_getHeader': {
      const block = bestOrByHash(params[0]);
      return block ? headerJson(block) : null;
    }
    case 'chain_getBlock': {
      const block = bestOrByHash(params[0]);
      return block ? { block: { header: headerJson(block), extrinsics: block.extrinsics }, justifications: null } : null;
    }
    case 'chain_getFinalizedHead':
      return blocks[finalized].hash;
    case 'state_getRuntimeVersion':
      atBlock(params[0]);
      return versionJson;
    case 'state_getMetadata':
      atBlock(params[0]);
      return metadataBytes;
    case 'state_getStorage':
      atBlock(params[1]);
      return storageValues.get(params[0]) ?? null;
    case 'state_call': {
      atBlock(params[2]);
      stateCallLog.push([params[0], params[1], params[2] ?? null]);
      const result = stateCalls.get(`${params[0]} ${params[1]}`);
      if (result === undefined) throw new RpcError(-32000, `Client error: Execution failed: Exported method ${params[0]} is not found`);
      return result;
    }
    case 'system_accountNextIndex': {
      let account;
      try {
        account = u8aToHex(decodeAddress(params[0]));
      } catch (e) {
        throw new RpcError(-32602, `Invalid params: ${e.message}`);
      }
      return nonces.get(account) ?? 0;
    }
    case 'author_submitExtrinsic':
      return submit(params[0]);
    case 'author_submitAndWatchExtrinsic': {
      if (!send) throw new RpcError(-32601, 'Method not found'); // subscriptions need a WebSocket
      const id = `sub${nextSubscription++}`;
      const hash = blake2AsHex(registry.createType('Bytes', params[0]).toU8a(true));
      watchers.set(id, { send, hash });
      setTimeout(() => notifyAll(hash, 'ready'), 20);
      submit(params[0]);
      return id;
    }
    case 'author_unwatchExtrinsic':
      return watchers.delete(params[0]);
    default:
      throw new RpcError(-32601, 'Method not found');
  }
}

// Handles one request text. Returns the texts to send back, in order (a null among them: drop
// the connection there); null: drop the connection without an answer; []: no answer (hanging).
function handle(text, send) {
  let request;
  try {
    request = JSON.parse(text);
  } catch {
    return [JSON.stringify({ jsonrpc: '2.0', id: null, error: { code: -32700, message: 'Parse error' } })];
  }
  if (dropNext > 0) {
    --dropNext;
    return null;
  }
  if (hanging) return [];
  const { id, method } = request;
  const params = request.params ?? [];
  callCounts.set(method, (callCounts.get(method) ?? 0) + 1);
  const reply = (body) => JSON.stringify({ jsonrpc: '2.0', id, ...body });
  const injected = injectedErrors.get(method);
  if (injected) {
    injectedErrors.delete(method);
    return [reply({ error: injected })];
  }
  let body;
  try {
    body = { result: answer(method, params, send) };
  } catch (e) {
    if (!(e instanceof RpcError)) throw e;
    body = { error: { code: e.code, message: e.message } };
  }
  if (dropAfter.delete(method)) return [reply(body), null];
  const broken = malformed.get(method);
  malformed.delete(method);
  switch (broken) {
    case 'text':
      return ['this is not JSON {'];
    case 'no-result':
      return [JSON.stringify({ jsonrpc: '2.0', id })];
    case 'decoy':
      return [JSON.stringify({ jsonrpc: '2.0', id: id + 1000, result: '0xdeadbeef' }), reply(body)];
    case 'bad-hex':
      return [reply({ result: '0xnothex' })];
    default:
      return [reply(body)];
  }
}

// Sends `text` on a WebSocket in frames of at most fragmentBytes.
function sendFragmented(ws, text) {
  if (!fragmentBytes || text.length <= fragmentBytes) {
    ws.send(text);
    return;
  }
  for (let i = 0; i < text.length; i += fragmentBytes)
    ws.send(text.slice(i, i + fragmentBytes), { fin: i + fragmentBytes >= text.length });
}

// The plain port and, with --tls-cert and --tls-key, a TLS one (wss:// and https://).
const tlsCert = option('--tls-cert', '');
const tlsKey = option('--tls-key', '');
let tlsPort = 0;
let servers = []; // [{server, wss}]

function onHttpRequest(req, res) {
  if (req.method !== 'POST') {
    res.writeHead(405, { 'content-type': 'text/plain' }).end('POST JSON-RPC requests here\n');
    return;
  }
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const out = handle(Buffer.concat(chunks).toString('utf8'), null);
    if (out === null) {
      req.socket.destroy();
      return;
    }
    if (out.length === 0) return; // hanging: the client times out
    // Over HTTP the decoy is not sent: one request, one answer.
    const body = out.filter((text) => text !== null).pop();
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
}

function onWebSocket(ws) {
  const send = (message) => {
    if (ws.readyState === ws.OPEN) sendFragmented(ws, JSON.stringify(message));
  };
  ws.on('message', (data) => {
    const out = handle(data.toString('utf8'), send);
    if (out === null) {
      ws.terminate();
      return;
    }
    for (const text of out) {
      if (text === null) {
        ws.terminate();
        return;
      }
      sendFragmented(ws, text);
    }
  });
}

function serve(server, listenPort) {
  const wss = new WebSocketServer({ server, maxPayload: 16 << 20 });
  wss.on('connection', onWebSocket);
  servers.push({ server, wss });
  return new Promise((resolve) => server.listen(listenPort, '127.0.0.1', () => resolve(server.address().port)));
}

async function listen(onReady) {
  port = await serve(createServer(onHttpRequest), port);
  if (tlsCert && tlsKey)
    tlsPort = await serve(createHttpsServer({ cert: readFileSync(tlsCert), key: readFileSync(tlsKey) }, onHttpRequest), tlsPort);
  onReady();
}

function close(done) {
  const closing = servers;
  servers = [];
  let left = closing.length;
  for (const { server, wss } of closing) {
    for (const ws of wss.clients) ws.terminate();
    wss.close();
    server.closeAllConnections();
    server.close(() => --left === 0 && done());
  }
}

function writeExpected() {
  if (!expectedFile) return;
  const expected = {
    blocks: blocks.map((b) => ({ number: b.number, hash: b.hash, header: headerJson(b) })),
    finalized: blocks[finalized].hash,
    runtimeVersion: versionJson,
    metadata: metadataBytes,
    storage: [...storageValues].map(([key, value]) => ({ key, value })),
    absentKey,
    account: { ss58: alice, nextIndex: accountInfo.nonce.toNumber() },
  };
  writeFileSync(expectedFile, JSON.stringify(expected));
}

function command(line) {
  try {
    runCommand(line);
  } catch (e) {
    console.log(`error ${e.message}`);
  }
}

function runCommand(line) {
  const [word, ...rest] = line.trim().split(/\s+/);
  switch (word) {
    case 'hang':
      hanging = rest[0] === 'on';
      break;
    case 'drop':
      for (const { wss } of servers) for (const ws of wss.clients) ws.terminate();
      break;
    case 'drop-next':
      dropNext = Number(rest[0]);
      break;
    case 'drop-after':
      dropAfter.add(rest[0]);
      break;
    case 'error':
      injectedErrors.set(rest[0], { code: Number(rest[1]), message: rest.slice(2).join(' ') });
      break;
    case 'malformed':
      malformed.set(rest[0], rest[1]);
      break;
    case 'fragment':
      fragmentBytes = Number(rest[0]);
      break;
    case 'state-call':
      stateCalls.set(`${rest[0]} ${rest[1]}`, rest[2]);
      break;
    case 'watch-status':
      nextWatchEnd = rest[0];
      break;
    case 'subnet': {
      let answer;
      try {
        const subnet = JSON.parse(line.trim().slice('subnet'.length));
        answer = neuronsLiteAnswer(subnet);
        stateCalls.set(`NeuronInfoRuntimeApi_get_neurons_lite ${netuidParam(subnet.netuid)}`, answer);
      } catch (e) {
        console.log(`error subnet: ${e.message}`);
        return;
      }
      console.log(`ok subnet ${answer}`);
      return;
    }
    case 'state-calls':
      console.log('state-calls ' + JSON.stringify(stateCallLog));
      return;
    case 'submitted':
      console.log('submitted ' + JSON.stringify(submitted));
      return;
    case 'decode-submitted':
      console.log('decoded ' + JSON.stringify(submitted.map(decodeSubmitted)));
      return;
    case 'storage': {
      const [section, item] = rest[0].split('.');
      const entry = storage[section]?.[item];
      if (!entry) throw new Error(`no storage item ${rest[0]}`);
      const key = storageKey(entry, ...JSON.parse(rest[1]));
      const value = rest.slice(2).join(' ');
      if (value === 'none') {
        storageValues.delete(key);
        break;
      }
      const type = entry.meta.type.isMap ? entry.meta.type.asMap.value : entry.meta.type.asPlain;
      // toU8a, not toHex: an integer's toHex is its big-endian number, not its SCALE bytes.
      storageValues.set(key, u8aToHex(registry.createType(registry.createLookupType(type), JSON.parse(value)).toU8a()));
      break;
    }
    case 'next-index':
      nonces.set(u8aToHex(decodeAddress(rest[0])), Number(rest[1]));
      break;
    case 'calls':
      console.log(`calls ${callCounts.get(rest[0]) ?? 0}`);
      return;
    case 'restart':
      // Acknowledged once closed; "listening again" follows.
      close(() => {
        console.log('ok restart');
        setTimeout(() => listen(() => console.log('listening again')), Number(rest[0]));
      });
      return;
    case 'stop':
      close(() => process.exit(0));
      return;
    case '':
      return;
    default:
      console.log(`error unknown command ${word}`);
      return;
  }
  console.log(`ok ${word}`);
}

listen(() => {
  writeExpected();
  console.log(`fake_chain listening on ${port}` + (tlsPort ? ` tls ${tlsPort}` : ''));
  createInterface({ input: process.stdin }).on('line', command).on('close', () => process.exit(0));
});
