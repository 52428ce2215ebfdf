// Runtime metadata, storage keys, mortal eras, the set_weights call and whole signed extrinsics:
// ours (tests/chain/weights_tool.cpp, the path given as the only argument) against polkadot-js
// (@polkadot/types reading the same metadata). Run by ctest as chain_weights_cross:
//
//   node tests/chain/weights_cross.mjs <weights_tool>
//
// The runtimes: Bittensor's subtensor (fixtures/subtensor-metadata-v14.json, spec 219) and the
// Substrate, Polkadot and Kusama v14 metadata @polkadot/types-support records. Pseudo-random
// cases come from a fixed seed (WEIGHTS_CROSS_SEED to try others), so a failure reproduces.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { seededRandom } from './seeded_random.mjs';

let Metadata, TypeRegistry, decorateExtrinsics, decorateStorage, Keyring, cryptoWaitReady;
let stringCamelCase, blake2AsU8a, keyExtractSuri, keyFromPath, mnemonicToMiniSecret, sr25519PairFromSeed, sr25519Verify, xxhashAsU8a, compactStripLength, hexToU8a, u8aConcat, u8aToHex;
try {
  ({ Metadata, TypeRegistry } = await import('@polkadot/types'));
  ({ decorateExtrinsics, decorateStorage } = await import('@polkadot/types/metadata/decorate'));
  ({ Keyring } = await import('@polkadot/keyring'));
  ({ blake2AsU8a, cryptoWaitReady, keyExtractSuri, keyFromPath, mnemonicToMiniSecret, sr25519PairFromSeed,
    sr25519Verify, xxhashAsU8a } = await import('@polkadot/util-crypto'));
  ({ compactStripLength, hexToU8a, stringCamelCase, u8aConcat, u8aToHex } = await import('@polkadot/util'));
} catch (error) {
  console.error(`weights_cross: polkadot-js is not installed in tests/chain/node_modules ` +
                `(${error.message.split('\n')[0]}); run scripts/install-deps.sh`);
  process.exit(1);
}
const require = createRequire(import.meta.url);

const tool = process.argv[2];
if (!tool) {
  console.error('usage: node weights_cross.mjs <weights_tool>');
  process.exit(2);
}
await cryptoWaitReady();

// The sr25519 polkadot-js itself calls, whose sign takes the randomness as an argument.
const scure = createRequire(import.meta.resolve('@polkadot/util-crypto'))('@scure/sr25519');

const fixture = JSON.parse(readFileSync(new URL('fixtures/subtensor-metadata-v14.json', import.meta.url)));
const recorded = (name) => require(`@polkadot/types-support/metadata/${name}-hex`).default;
const runtimes = {
  subtensor: fixture.metadata,
  substrate: recorded('v14/substrate'),
  polkadot: recorded('v14/polkadot'),
  kusama: recorded('v14/kusama'),
};

const { next32, below, randomBytes } = seededRandom(process.env.WEIGHTS_CROSS_SEED ?? 14);
const randomBig = (bits) => {
  let value = 0n;
  for (let i = 0; i < bits; i += 16) value = (value << 16n) | BigInt(below(1 << 16));
  return value & ((1n << BigInt(bits)) - 1n);
};

const hex = (u8a) => (u8a.length ? u8aToHex(u8a).slice(2) : '-');
const strip = (text) => (text.startsWith('0x') ? text.slice(2) : text);
let failures = 0;
let checks = 0;
function check(what, ok, detail) {
  checks += 1;
  if (!ok) {
    failures += 1;
    console.error(`MISMATCH ${what}${detail ? `: ${detail}` : ''}`);
  }
}
const equal = (what, ours, theirs) =>
  check(what, ours === theirs, `ours ${String(ours).slice(0, 400)}, polkadot-js ${String(theirs).slice(0, 400)}`);
const refused = (what, answer, ...fragments) =>
  check(what, answer[0] === 'error' && fragments.every((f) => answer[1].includes(f)),
    `answer: ${answer.join(' ').slice(0, 400)}; expected an error with ${fragments.join(', ')}`);

// One run of the tool for a batch of commands (fields joined by tabs); its answers, split.
function ours(commands) {
  const run = spawnSync(tool, { input: commands.map((fields) => fields.join('\t')).join('\n') + '\n',
    encoding: 'utf8', maxBuffer: 256 << 20 });
  if (run.status !== 0 || run.error) {
    console.error(`weights_tool failed: ${run.error ?? run.stderr}`);
    process.exit(1);
  }
  const lines = run.stdout.split('\n');
  lines.pop();
  if (lines.length !== commands.length) {
    console.error(`weights_tool answered ${lines.length} lines for ${commands.length} commands`);
    process.exit(1);
  }
  return lines.map((line) => line.split('\t'));
}
// Commands run after loading `metadataHex`; the answers to `commands` alone.
function withMetadata(metadataHex, commands) {
  const answers = ours([['metadata', strip(metadataHex)], ...commands]);
  if (answers[0][0] !== 'ok') {
    console.error(`weights_tool refused the metadata: ${answers[0].join(' ')}`);
    process.exit(1);
  }
  return answers.slice(1);
}

// polkadot-js's registry for a metadata. Subtensor's own extensions are unit structs: told so,
// polkadot-js encodes nothing for them (as it would anyway, with a warning).
function registryOf(metadataHex) {
  const registry = new TypeRegistry();
  const metadata = new Metadata(registry, metadataHex);
  registry.setMetadata(metadata, undefined, {
    SubtensorSignedExtension: { extrinsic: {}, payload: {} },
    CommitmentsSignedExtension: { extrinsic: {}, payload: {} },
  });
  return { registry, metadata, v14: metadata.asV14 };
}

// ---- 1. Metadata: every pallet, call, storage item and signed extension as polkadot-js reads them.
function theirDump({ registry, v14 }) {
  return {
    types: v14.lookup.types.length,
    pallets: v14.pallets.map((p) => ({
      name: p.name.toString(),
      index: p.index.toNumber(),
      calls: p.calls.isSome
        ? registry.lookup.getSiType(p.calls.unwrap().type).def.asVariant.variants.map((v) => ({
          name: v.name.toString(),
          index: v.index.toNumber(),
          args: v.fields.map((f) => ({ name: f.name.unwrapOr('').toString(), type: f.type.toNumber() })),
        }))
        : [],
      storage: p.storage.isSome
        ? {
          prefix: p.storage.unwrap().prefix.toString(),
          entries: p.storage.unwrap().items.map((e) => ({
            name: e.name.toString(),
            default: e.modifier.isDefault,
            hashers: e.type.isMap ? e.type.asMap.hashers.map((h) => h.toString()) : [],
            key: e.type.isMap ? e.type.asMap.key.toNumber() : null,
            value: e.type.isMap ? e.type.asMap.value.toNumber() : e.type.asPlain.toNumber(),
            fallback: e.fallback.toHex(),
          })),
        }
        : null,
    })),
    extrinsic: {
      type: v14.extrinsic.type.toNumber(),
      version: v14.extrinsic.version.toNumber(),
      signedExtensions: v14.extrinsic.signedExtensions.map((e) => ({
        identifier: e.identifier.toString(),
        type: e.type.toNumber(),
        additionalSigned: e.additionalSigned.toNumber(),
      })),
    },
  };
}

const parsed = {};
for (const [name, metadataHex] of Object.entries(runtimes)) {
  parsed[name] = registryOf(metadataHex);
  const [dump, format] = withMetadata(metadataHex, [['dump'], ['format']]);
  equal(`${name}: metadata as read`, dump[0], JSON.stringify(theirDump(parsed[name])));
  parsed[name].format = format;
}

// The signed extensions: subtensor's are all accepted, each encoding what polkadot-js says it
// encodes; Substrate's node has ChargeAssetTxPayment (a tip and an asset id), which is refused.
{
  const { registry, v14 } = parsed.subtensor;
  const format = parsed.subtensor.format;
  check('subtensor: extrinsic format accepted', format[0] !== 'error', format.join(' '));
  const kinds = format[0].split(',').map((item) => item.split(':'));
  equal('subtensor: signed extensions in order', kinds.map((k) => k[0]).join(','),
    v14.extrinsic.signedExtensions.map((e) => e.identifier.toString()).join(','));
  equal('subtensor: the extensions polkadot-js knows', kinds.map((k) => k[0]).join(','),
    registry.signedExtensions.join(','));
  const extraEmpty = { nothing: true, spec_version: true, transaction_version: true, genesis: true };
  const additionalEmpty = { nothing: true, nonce: true, tip: true };
  v14.extrinsic.signedExtensions.forEach((e, i) => {
    const [identifier, kind] = kinds[i];
    equal(`subtensor: ${identifier} extra empty`, Boolean(extraEmpty[kind]),
      registry.lookup.getTypeDef(e.type).type === 'Null');
    equal(`subtensor: ${identifier} additional signed empty`, Boolean(additionalEmpty[kind]),
      registry.lookup.getTypeDef(e.additionalSigned).type === 'Null');
  });
  equal('subtensor: kinds', format[0],
    'CheckNonZeroSender:nothing,CheckSpecVersion:spec_version,CheckTxVersion:transaction_version,' +
    'CheckGenesis:genesis,CheckMortality:mortality,CheckNonce:nonce:32,CheckWeight:nothing,' +
    'ChargeTransactionPayment:tip:64,SubtensorSignedExtension:nothing,' +
    'CommitmentsSignedExtension:nothing,CheckMetadataHash:metadata_hash');
  refused('substrate: ChargeAssetTxPayment refused', parsed.substrate.format, 'ChargeAssetTxPayment',
    '8 of 9', 'Mycelium does not know');
  for (const name of ['polkadot', 'kusama']) {
    const identifiers = parsed[name].v14.extrinsic.signedExtensions.map((e) => e.identifier.toString());
    check(`${name}: extrinsic format accepted`, parsed[name].format[0] !== 'error', parsed[name].format.join(' '));
    equal(`${name}: signed extensions in order`, parsed[name].format[0].split(',').map((k) => k.split(':')[0]).join(','),
      identifiers.join(','));
  }
}

// Metadata ours refuses: an unknown extension with data, a known one with the wrong types, other
// metadata versions, another magic, truncated or overlong bytes.
{
  const { registry, v14 } = parsed.subtensor;
  const withExtensions = (extensions) => '0x6d6574610e' + registry.createType('MetadataV14', {
    lookup: v14.lookup,
    pallets: v14.pallets,
    extrinsic: registry.createType('ExtrinsicMetadataV14', {
      type: v14.extrinsic.type, version: v14.extrinsic.version, signedExtensions: extensions,
    }),
    type: v14.type,
  }).toHex().slice(2);
  const listed = v14.extrinsic.signedExtensions.map((e) => e.toJSON());
  const typeOf = (name) => v14.lookup.types.findIndex((t) => t.type.def.isPrimitive && t.type.def.asPrimitive.toString() === name);
  const unitType = v14.lookup.types.findIndex((t) => t.type.def.isTuple && t.type.def.asTuple.length === 0);
  const u32 = typeOf('U32');
  const u64 = typeOf('U64');
  const cases = [
    ['an unknown extension with extra data', [...listed, { identifier: 'FutureExtension', type: u32, additionalSigned: unitType }],
      ['FutureExtension', '12 of 12', 'extra u32']],
    ['an unknown extension with additional signed data', [{ identifier: 'Another', type: unitType, additionalSigned: u64 }, ...listed],
      ['Another', '1 of 12', 'additional signed data u64']],
    ['CheckSpecVersion signing a u64', listed.map((e) => (e.identifier === 'CheckSpecVersion' ? { ...e, additionalSigned: u64 } : e)),
      ['CheckSpecVersion', 'u64, expected u32']],
    ['CheckNonce with a plain u32', listed.map((e) => (e.identifier === 'CheckNonce' ? { ...e, type: u32 } : e)),
      ['CheckNonce', 'expected a Compact']],
    ['CheckMortality without an Era', listed.map((e) => (e.identifier === 'CheckMortality' ? { ...e, type: u32 } : e)),
      ['CheckMortality', 'sp_runtime::generic::era::Era']],
  ];
  const modified = withExtensions(listed);
  equal('re-encoded metadata unchanged', modified, fixture.metadata);
  for (const [what, extensions, fragments] of cases) {
    const [format] = withMetadata(withExtensions(extensions), [['format']]);
    refused(`refused: ${what}`, format, ...fragments);
  }
  const bytes = hexToU8a(fixture.metadata);
  const answers = ours([
    // Recorded as Metadata_metadata_at_version answers it (Option<OpaqueMetadata>): from "meta" on.
    ['metadata', recorded('v15/substrate').slice(recorded('v15/substrate').indexOf('6d657461'))],
    ['metadata', '6d6574610f' + hex(bytes.subarray(5))],
    ['metadata', strip(recorded('v13/substrate'))],
    ['metadata', '6d657461'],
    ['metadata', 'ff' + hex(bytes.subarray(1))],
    ['metadata', hex(bytes) + '00'],
    ...[5, 100, 5000, 100000, bytes.length - 200, bytes.length - 1].map((n) => ['metadata', hex(bytes.subarray(0, n))]),
  ]);
  refused('refused: v15 metadata', answers[0], 'version 15', 'only version 14');
  refused('refused: v14 metadata labelled 15', answers[1], 'version 15', 'only version 14');
  refused('refused: v13 metadata', answers[2], 'version 13');
  refused('refused: magic and nothing else', answers[3], 'version', 'truncated');
  refused('refused: another magic', answers[4], 'magic', '"meta"');
  refused('refused: a byte left over', answers[5], 'metadata', 'unexpected byte after the value');
  // Cut short: the decoder says where, either at a fixed-size read or at a length that cannot fit.
  for (const answer of answers.slice(6))
    check('refused: truncated metadata', answer[0] === 'error' && answer[1].startsWith('metadata: ') &&
      /truncated|exceeds what the \d+ bytes left can hold/.test(answer[1]), answer.join(' '));
}

// ---- 2. Storage keys: twox, and every map of subtensor's keyed by integers and accounts.
{
  const commands = [];
  const expected = [];
  for (let i = 0; i < 60; i++) {
    const data = randomBytes(below(80));
    const bits = [64, 128, 256][i % 3];
    commands.push(['twox', String(bits), hex(data)]);
    expected.push(hex(xxhashAsU8a(data, bits)));
  }
  ours(commands).forEach((answer, i) => equal(`twox${commands[i][1]} of ${commands[i][2]}`, answer[0], expected[i]));

  const { registry, metadata, v14 } = parsed.subtensor;
  const storage = decorateStorage(registry, metadata.asLatest, metadata.version);
  // A value for a key of type `id`, if it is one we can make up: an unsigned integer or 32 bytes.
  const valueFor = (id) => {
    const def = registry.lookup.getSiType(id).def;
    if (def.isPrimitive) {
      const bits = { U8: 8, U16: 16, U32: 32, U64: 64, U128: 128 }[def.asPrimitive.toString()];
      return bits ? randomBig(bits) : undefined;
    }
    const typeDef = registry.lookup.getTypeDef(id);
    if (typeDef.lookupName === 'AccountId32' || typeDef.type === '[u8;32]' || typeDef.lookupName === 'H256') return randomBytes(32);
    return undefined;
  };
  const commands2 = [];
  const expected2 = [];
  const hashersSeen = new Set();
  const pallet = v14.pallets.find((p) => p.name.toString() === 'SubtensorModule');
  const section = storage.subtensorModule;
  for (const item of pallet.storage.unwrap().items) {
    if (!item.type.isMap) continue;
    const { hashers, key } = item.type.asMap;
    const keyTypes = hashers.length === 1 ? [key.toNumber()] : registry.lookup.getSiType(key).def.asTuple.map((t) => t.toNumber());
    for (let round = 0; round < 2; round++) {
      const values = keyTypes.map(valueFor);
      if (values.some((v) => v === undefined)) break;
      const name = item.name.toString();
      const entry = section[stringCamelCase(name)];
      const encoded = keyTypes.map((t, i) => registry.createType(registry.createLookupType(t), values[i]).toU8a());
      commands2.push(['storage-key', 'SubtensorModule', name, encoded.map(hex).join(',')]);
      expected2.push(hex(compactStripLength(entry(...values))[1]));
      hashers.forEach((h) => hashersSeen.add(h.toString()));
    }
  }
  const answers = withMetadata(fixture.metadata, commands2);
  answers.forEach((answer, i) => equal(`storage key ${commands2[i][2]}(${commands2[i][3]})`, answer[0], expected2[i]));
  check('storage keys: many maps', commands2.length >= 40, `${commands2.length}`);
  for (const hasher of ['Identity', 'Blake2_128Concat', 'Twox64Concat'])
    check(`storage keys: the ${hasher} hasher`, hashersSeen.has(hasher), [...hashersSeen].join(','));

  // CommitRevealWeightsEnabled and WeightsVersionKey: keys, stored values and the defaults.
  const netuids = [0, 1, 3, 255, 256, 65535];
  const commands3 = [];
  const expected3 = [];
  for (const netuid of netuids) {
    for (const value of [true, false, null]) {
      commands3.push(['commit-reveal', String(netuid), value === null ? 'none' : hex(registry.createType('bool', value).toU8a())]);
      expected3.push([hex(compactStripLength(section.commitRevealWeightsEnabled(netuid))[1]), String(value === true)]);
    }
    for (const value of [0n, 1n, 1234567890123n, (1n << 64n) - 1n, null]) {
      commands3.push(['version-key', String(netuid), value === null ? 'none' : hex(registry.createType('u64', value).toU8a())]);
      expected3.push([hex(compactStripLength(section.weightsVersionKey(netuid))[1]), String(value ?? 0n)]);
    }
  }
  commands3.push(['commit-reveal', '1', '02'], ['version-key', '1', '0100'], ['commit-reveal', '1', '0100']);
  const answers3 = withMetadata(fixture.metadata, commands3);
  expected3.forEach((want, i) => equal(`${commands3[i].join(' ')}`, answers3[i].join(' '), want.join(' ')));
  const tail = answers3.slice(expected3.length);
  refused('refused: CommitRevealWeightsEnabled of 02', tail[0], 'SubtensorModule.CommitRevealWeightsEnabled(1)');
  refused('refused: WeightsVersionKey of two bytes', tail[1], 'SubtensorModule.WeightsVersionKey(1)', 'truncated');
  refused('refused: CommitRevealWeightsEnabled of two bytes', tail[2], 'CommitRevealWeightsEnabled(1)', 'unexpected byte');
}

// ---- 3. Mortal eras: the two bytes and the birth block, against polkadot-js's ExtrinsicEra.
{
  const pairs = [[1000, 64], [42, 64], [20000, 32768], [513, 200], [1, 2], [5, 4], [1000001, 1000000],
    [0, 4], [3, 1], [4095, 4096], [123456, 8192], [123457, 65536], [99, 5], [7, 65536]];
  for (let i = 0; i < 200; i++) pairs.push([below(1 << 30), 1 + below(1 << (2 + below(16)))]);
  const answers = ours(pairs.map(([block, period]) => ['era', String(block), String(period)]));
  const { registry } = parsed.subtensor;
  pairs.forEach(([block, period], i) => {
    const theirs = registry.createType('ExtrinsicEra', { current: block, period });
    equal(`era of block ${block}, period ${period}`, answers[i][0], strip(theirs.toHex()));
    // The birth the chain computes from the bytes it receives (polkadot-js keeps an unquantised
    // phase in the era it builds, so the decoded one is asked).
    const decoded = registry.createType('ExtrinsicEra', hexToU8a('0x' + answers[i][0]));
    equal(`era birth of block ${block}, period ${period}`, answers[i][1], String(decoded.asMortalEra.birth(block)));
  });
  refused('refused: era period 0', ours([['era', '5', '0']])[0], 'era period 0');
}

// ---- 4. The set_weights call against polkadot-js's decorated SubtensorModule.setWeights.
const { registry, metadata } = parsed.subtensor;
const tx = decorateExtrinsics(registry, metadata.asLatest, metadata.version);
const randomCall = () => {
  const count = below(5) === 0 ? 0 : 1 + below(below(4) === 0 ? 300 : 20);
  const dests = [...new Set(Array.from({ length: count }, () => below(1 << 16)))];
  return {
    netuid: below(4) === 0 ? below(1 << 16) : below(64),
    dests,
    weights: dests.map(() => below(1 << 16)),
    versionKey: randomBig(below(2) ? 64 : 16),
  };
};
{
  const calls = [{ netuid: 1, dests: [0, 1, 2], weights: [65535, 32768, 0], versionKey: 0n }];
  for (let i = 0; i < 40; i++) calls.push(randomCall());
  const list = (values) => (values.length ? values.join(',') : '-');
  const answers = withMetadata(fixture.metadata, [
    ...calls.map((c) => ['call', String(c.netuid), list(c.dests), list(c.weights), String(c.versionKey)]),
    ['call', '1', '0,1', '5', '0'],
    ['call', '1', '4,2,4', '1,2,3', '0'],
  ]);
  calls.forEach((c, i) => equal(`set_weights call ${JSON.stringify(c, (k, v) => (typeof v === 'bigint' ? String(v) : v)).slice(0, 200)}`,
    answers[i][0], hex(tx.subtensorModule.setWeights(c.netuid, c.dests, c.weights, c.versionKey).toU8a())));
  refused('refused: dests and weights of different lengths', answers[calls.length], '2 dests but 1 weights');
  refused('refused: a repeated uid', answers[calls.length + 1], 'uid 4 more than once');
}

// ---- 5. Signed extrinsics, byte for byte: the payload, the extrinsic carrying a signature, both
// sides' signatures verified by the other.
const alice = new Keyring({ type: 'sr25519' }).addFromUri('//Alice');
// Alice's secret key in the form @scure/sr25519 takes, derived as the keyring derives it.
const DEV_PHRASE = 'bottom drive obey lake curtain smoke basket hold race lonely fit walk';
const aliceSecret = keyFromPath(sr25519PairFromSeed(mnemonicToMiniSecret(DEV_PHRASE)),
  keyExtractSuri(`${DEV_PHRASE}//Alice`).path, 'sr25519').secretKey;
const signingMessage = (payload) => (payload.length > 256 ? blake2AsU8a(payload, 256) : payload);
function transactionFields(t) {
  return [String(fixture.specVersion), String(fixture.transactionVersion), strip(fixture.genesisHash),
    String(t.block), String(t.period), strip(t.blockHash), String(t.nonce), String(t.tip)];
}
function theirPayload(call, t) {
  return registry.createType('ExtrinsicPayload', {
    method: call.toHex(),
    era: registry.createType('ExtrinsicEra', { current: t.block, period: t.period }),
    nonce: t.nonce,
    tip: t.tip,
    specVersion: fixture.specVersion,
    transactionVersion: fixture.transactionVersion,
    genesisHash: fixture.genesisHash,
    blockHash: t.blockHash,
    mode: 0,
  }, { version: 4 });
}
{
  const aliceUri = '//Alice';
  const [alicePublic] = ours([['public', aliceUri]])[0];
  equal('//Alice public key', alicePublic, hex(alice.publicKey));

  const transactions = [{ call: { netuid: 1, dests: [0, 1, 2], weights: [65535, 32768, 0], versionKey: 0n },
    block: 1000, period: 64, nonce: 5, tip: 0n, blockHash: u8aToHex(blake2AsU8a('block 1000')) }];
  for (let i = 0; i < 24; i++) {
    transactions.push({
      call: randomCall(),
      block: below(1 << 30),
      period: [4, 5, 64, 256, 4096, 8192, 65536][below(7)],
      // Each compact mode's edges, and u32's maximum (CheckNonce is Compact<u32> here).
      nonce: [0, 63, 64, 16383, 16384, 1073741823, 1073741824, 4294967295][below(8)],
      tip: [0n, 1n, 10n ** 12n, (1n << 64n) - 1n][below(4)],
      blockHash: u8aToHex(randomBytes(32)),
    });
  }
  const commands = [];
  const theirs = [];
  for (const t of transactions) {
    const call = tx.subtensorModule.setWeights(t.call.netuid, t.call.dests, t.call.weights, t.call.versionKey);
    const payload = theirPayload(call, t);
    const payloadBytes = payload.toU8a({ method: true });
    const message = signingMessage(payloadBytes);
    const random = randomBytes(32);
    // polkadot-js signs with its keyring (random nonce) and with the randomness fixed.
    const signed = registry.createType('Extrinsic', call);
    signed.sign(alice, {
      era: payload.era, nonce: t.nonce, tip: t.tip, blockHash: t.blockHash, genesisHash: fixture.genesisHash,
      runtimeVersion: { specVersion: fixture.specVersion, transactionVersion: fixture.transactionVersion },
      signedExtensions: registry.signedExtensions, mode: 0,
    });
    const fixedSignature = scure.sign(aliceSecret, message, () => random);
    theirs.push({ t, call, payload, payloadBytes, message, random, signed, fixedSignature });
    const fields = transactionFields(t);
    commands.push(['payload', hex(call.toU8a()), ...fields]);
    commands.push(['sign-with', aliceUri, hex(message), hex(random)]);
    commands.push(['verify', hex(alice.publicKey), hex(message), hex(signed.signature.toU8a())]);
    commands.push(['sign', aliceUri, hex(call.toU8a()), ...fields]);
  }
  const answers = withMetadata(fixture.metadata, commands);
  const second = [];
  theirs.forEach((their, i) => {
    const [payload, signing, verified, signedByUs] = answers.slice(4 * i, 4 * i + 4);
    const label = `transaction ${i} (block ${their.t.block}, period ${their.t.period}, nonce ${their.t.nonce}, tip ${their.t.tip}, ${their.t.call.dests.length} uids)`;
    equal(`${label}: signing payload`, payload[0], hex(their.payloadBytes));
    equal(`${label}: signed message (hashed past 256 bytes)`, payload[1], hex(their.message));
    // Signatures with the same randomness are identical.
    equal(`${label}: signature with fixed randomness`, signing[0], hex(their.fixedSignature));
    // Next batch: ours assembles the extrinsic around polkadot-js's signature and around the
    // fixed-randomness one.
    second.push(['extrinsic', hex(alice.publicKey), hex(their.signed.signature.toU8a()), hex(their.call.toU8a()), ...transactionFields(their.t)]);
    second.push(['extrinsic', hex(alice.publicKey), hex(their.fixedSignature), hex(their.call.toU8a()), ...transactionFields(their.t)]);
    // Ours verifies polkadot-js's signature, which its keyring made with its own randomness.
    equal(`${label}: ours verifies polkadot-js's signature`, verified.join(' '), 'ok');
    // polkadot-js verifies the signature in our extrinsic (random nonce) and decodes it.
    const ourExtrinsic = signedByUs[0];
    check(`${label}: ours signed`, ourExtrinsic !== 'error', signedByUs.join(' '));
    if (ourExtrinsic === 'error') return;
    const decoded = registry.createType('Extrinsic', '0x' + ourExtrinsic);
    check(`${label}: polkadot-js verifies our signature`,
      sr25519Verify(their.message, decoded.signature.toU8a(), alice.publicKey));
    equal(`${label}: our extrinsic decodes as set_weights`, `${decoded.method.section}.${decoded.method.method}`, 'subtensorModule.setWeights');
    equal(`${label}: decoded call`, decoded.method.toHex(), their.call.toHex());
    equal(`${label}: decoded signer`, decoded.signer.toString(), alice.address);
    equal(`${label}: decoded nonce`, decoded.nonce.toString(), String(their.t.nonce));
    equal(`${label}: decoded tip`, decoded.tip.toString(), String(their.t.tip));
    equal(`${label}: decoded era`, decoded.era.toHex(), their.payload.era.toHex());
    // The whole extrinsic, byte for byte: polkadot-js's, given our signature, is ours.
    const withOurSignature = registry.createType('Extrinsic', their.call);
    withOurSignature.addSignature(alice.address, u8aConcat(new Uint8Array([1]), decoded.signature.toU8a()), their.payload.toHex());
    equal(`${label}: extrinsic with our signature`, ourExtrinsic, hex(withOurSignature.toU8a()));
  });
  // And ours, given polkadot-js's signature, is the extrinsic polkadot-js signed itself.
  const assembled = withMetadata(fixture.metadata, second);
  theirs.forEach((their, i) => {
    equal(`transaction ${i}: polkadot-js's signed extrinsic assembled by us`, assembled[2 * i][0], hex(their.signed.toU8a()));
    const fixed = registry.createType('Extrinsic', their.call);
    fixed.addSignature(alice.address, u8aConcat(new Uint8Array([1]), their.fixedSignature), their.payload.toHex());
    equal(`transaction ${i}: extrinsic with the fixed-randomness signature`, assembled[2 * i + 1][0], hex(fixed.toU8a()));
  });
  check('some payloads are hashed', theirs.some((t) => t.payloadBytes.length > 256));
  check('some payloads are not', theirs.some((t) => t.payloadBytes.length <= 256));
  // The nonce does not fit CheckNonce's Compact<u32>.
  const t = { ...transactions[0], nonce: 4294967296 };
  refused('refused: a nonce above u32', withMetadata(fixture.metadata, [['payload', hex(theirs[0].call.toU8a()), ...transactionFields(t)]])[0],
    'nonce 4294967296', "CheckNonce's Compact<u32>");
}

if (failures) {
  console.error(`weights_cross: ${failures} of ${checks} checks failed`);
  process.exit(1);
}
console.log(`weights_cross: ${checks} checks passed (seed ${process.env.WEIGHTS_CROSS_SEED ?? 14})`);
