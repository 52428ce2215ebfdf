// Our SS58 and SCALE against an independent implementation, polkadot-js (@polkadot/util-crypto
// and @polkadot/types at the versions tests/chain/package.json pins). Run by ctest as
// chain_codec_cross:
//
//   node tests/chain/codec_cross.mjs <codec_tool>
//
// For pseudo-random keys, prefixes and values (a fixed seed, so a failure reproduces; set
// CODEC_CROSS_SEED to try others) it checks both directions: our encoding equals polkadot-js's,
// and ours decodes polkadot-js's encoding to the original value. A corrupted address must be
// refused by both or accepted by both with one answer. tests/chain/codec_tool.cpp describes the
// request lines.
import {spawnSync} from 'node:child_process';
import { seededRandom } from './seeded_random.mjs';

let encodeAddress, decodeAddress, cryptoWaitReady, TypeRegistry, u8aToHex;
try {
  ({encodeAddress, decodeAddress, cryptoWaitReady} = await import('@polkadot/util-crypto'));
  ({TypeRegistry} = await import('@polkadot/types'));
  ({u8aToHex} = await import('@polkadot/util'));
} catch (error) {
  console.error(`codec_cross: polkadot-js is not installed in tests/chain/node_modules ` +
                `(${error.message.split('\n')[0]}); run scripts/install-deps.sh`);
  process.exit(1);
}

const tool = process.argv[2];
if (!tool) {
  console.error('usage: node codec_cross.mjs <codec_tool>');
  process.exit(2);
}
await cryptoWaitReady();

const { next32, below, randomBytes } = seededRandom(process.env.CODEC_CROSS_SEED ?? 16);
// A value of up to `bits` bits, its length itself random so that every compact mode is reached.
const randomBig = (bits) => {
  const length = below(bits + 1);
  let value = 0n;
  for (let i = 0; i < length; i++)
    value = (value << 1n) | BigInt(below(2));
  return value;
};
const hex = (u8a) => (u8a.length ? u8aToHex(u8a).slice(2) : '-');
const intText = (value) => BigInt(value).toString(16);
const boolText = (value) => (value === null ? 'none' : String(value));

const registry = new TypeRegistry();
registry.register({
  CrossSample : {a : 'u16', b : 'Compact<u64>', c : 'Vec<AccountId32>', d : 'Option<bool>'},
});
const scale = (type, value) => registry.createType(type, value).toU8a();

// Each case: a request for our tool, the answer polkadot-js implies, and a label for failures.
const cases = [];
const expect = (request, answer, label) => cases.push({request, answer, label});

// SS58: random keys under fixed and random prefixes; polkadot-js's addresses decoded by ours.
const alphabet = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';
const fixedPrefixes = [ 0, 2, 42, 63, 64, 255, 1000, 16383 ];
for (let i = 0; i < 160; i++) {
  const key = randomBytes(32);
  let prefix = i < 120 ? fixedPrefixes[i % fixedPrefixes.length] : below(16384);
  if (prefix === 46 || prefix === 47)
    prefix = 48;
  const address = encodeAddress(key, prefix);
  expect(`ss58_encode ${prefix} ${hex(key)}`, address, `SS58 encode, prefix ${prefix}`);
  expect(`ss58_decode ${address}`, `${prefix} ${hex(key)}`, `SS58 decode, prefix ${prefix}`);

  // One character replaced by another of the alphabet.
  const at = below(address.length);
  const replacement = alphabet[(alphabet.indexOf(address[at]) + 1 + below(57)) % 58];
  const corrupted = address.slice(0, at) + replacement + address.slice(at + 1);
  let theirs;
  try {
    const decoded = decodeAddress(corrupted, false, prefix);
    theirs = decoded.length === 32 ? `${prefix} ${hex(decoded)}` : 'error';
  } catch {
    theirs = 'error';
  }
  cases.push({
    request : `ss58_decode ${corrupted}`,
    answer : theirs,
    label : 'corrupted address',
    refusal : theirs === 'error'
  });
}

// SCALE: compacts of every width, with the mode boundaries and each type's maximum.
const boundaries = [
  0n, 63n, 64n, 16383n, 16384n, (1n << 30n) - 1n, 1n << 30n, 1n << 32n, (1n << 64n) - 1n, 1n << 64n,
  (1n << 128n) - 1n
];
for (const bits of [8, 16, 32, 64, 128]) {
  const max = (1n << BigInt(bits)) - 1n;
  const values = boundaries.filter((v) => v <= max);
  values.push(max);
  for (let i = 0; i < 60; i++)
    values.push(randomBig(bits));
  for (const value of values) {
    const type = `Compact<u${bits}>`;
    const bytes = scale(type, value);
    expect(`encode compact_u${bits} ${intText(value)}`, hex(bytes), `${type} ${value}`);
    expect(`decode compact_u${bits} ${hex(bytes)}`, intText(value), `${type} ${value} decode`);
  }
}

for (let i = 0; i < 60; i++) {
  const value = randomBig(128);
  const bytes = scale('u128', value);
  expect(`encode u128 ${intText(value)}`, hex(bytes), `u128 ${value}`);
  expect(`decode u128 ${hex(bytes)}`, intText(value), `u128 ${value} decode`);

  const list = Array.from({length : below(20)}, () => next32());
  const listText = list.length ? list.map(intText).join(',') : '-';
  const listBytes = scale('Vec<u32>', list);
  expect(`encode vec_u32 ${listText}`, hex(listBytes), `Vec<u32> [${list}]`);
  expect(`decode vec_u32 ${hex(listBytes)}`, listText, `Vec<u32> [${list}] decode`);

  const option = below(3) === 0 ? null : randomBig(64);
  const optionText = option === null ? 'none' : intText(option);
  const optionBytes = scale('Option<u64>', option);
  expect(`encode option_u64 ${optionText}`, hex(optionBytes), `Option<u64> ${option}`);
  expect(`decode option_u64 ${hex(optionBytes)}`, optionText, `Option<u64> ${option} decode`);
}

for (const value of [null, true, false]) {
  for (const [ours, theirs] of [[ 'option_bool', 'Option<bool>' ],
                                [ 'optionbool', 'OptionBool' ]]) {
    const bytes = scale(theirs, value);
    expect(`encode ${ours} ${boolText(value)}`, hex(bytes), `${theirs} ${value}`);
    expect(`decode ${ours} ${hex(bytes)}`, boolText(value), `${theirs} ${value} decode`);
  }
}

// Strings mixing one-, two-, three- and four-byte UTF-8 sequences.
const codePointRanges = [
  [ 0x20, 0x7e ], [ 0xa0, 0x7ff ], [ 0x800, 0xd7ff ], [ 0xe000, 0xfffd ], [ 0x10000, 0x10ffff ]
];
for (let i = 0; i < 60; i++) {
  let text = '';
  for (let n = below(40); n > 0; n--) {
    const [low, high] = codePointRanges[below(codePointRanges.length)];
    text += String.fromCodePoint(low + below(high - low + 1));
  }
  const utf8 = hex(Buffer.from(text, 'utf8'));
  const bytes = scale('Text', text);
  expect(`encode string ${utf8}`, hex(bytes), `String ${JSON.stringify(text)}`);
  expect(`decode string ${hex(bytes)}`, utf8, `String ${JSON.stringify(text)} decode`);
}

// A struct: (u16, Compact<u64>, Vec<AccountId32>, Option<bool>).
for (let i = 0; i < 60; i++) {
  const sample = {
    a : below(65536),
    b : randomBig(64),
    c : Array.from({length : below(4)}, () => randomBytes(32)),
    d : [ null, true, false ][below(3)],
  };
  const text = [
    intText(sample.a), intText(sample.b), sample.c.length ? sample.c.map(hex).join(',') : '-',
    boolText(sample.d)
  ].join(';');
  const bytes = scale('CrossSample', sample);
  expect(`encode struct ${text}`, hex(bytes), `struct ${text}`);
  expect(`decode struct ${hex(bytes)}`, text, `struct ${text} decode`);
}

const run = spawnSync(tool, [], {
  input : cases.map((c) => c.request).join('\n') + '\n',
  encoding : 'utf8',
  maxBuffer : 64 << 20
});
if (run.status !== 0) {
  console.error(`codec_cross: ${tool} exited with ${run.status}: ${run.error ?? run.stderr}`);
  process.exit(1);
}
const answers = run.stdout.split('\n');
let failures = 0;
cases.forEach((c, i) => {
  const ours = answers[i];
  // A refusal's message is ours alone: only that ours refused too is compared.
  const agrees = c.refusal ? ours?.startsWith('error: ') : ours === c.answer;
  if (!agrees) {
    failures++;
    if (failures <= 20)
      console.error(`MISMATCH ${c.label}\n  request:     ${c.request}\n` +
                    `  polkadot-js: ${c.answer}\n  ours:        ${ours}`);
  }
});
const refusals = cases.filter((c) => c.refusal).length;
console.log(`codec_cross: ${cases.length - failures} of ${cases.length} cases agree with ` +
            `polkadot-js (among them ${refusals} corrupted addresses polkadot-js refuses)`);
process.exit(failures ? 1 : 0);
