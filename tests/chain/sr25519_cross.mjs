// sr25519 against an independent implementation: polkadot-js (@polkadot/util-crypto, whose
// sr25519 is @scure/sr25519 on @noble/curves) and ours (tests/chain/sr25519_tool.cpp, the path
// given as the only argument). Each side signs and the other verifies; public keys from seeds,
// derivation paths, secret URIs and mnemonics must agree byte for byte; with the signing and
// soft-derivation randomness fixed, whole signatures and derived secrets must too; tampered
// signatures must be refused by both.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';

import { hexToU8a, isHex, stringToU8a, u8aToHex } from '@polkadot/util';
import {
  cryptoWaitReady, keyExtractPath, keyExtractSuri, keyFromPath, mnemonicGenerate,
  mnemonicToMiniSecret, randomAsU8a, sr25519PairFromSeed, sr25519Sign, sr25519Verify
} from '@polkadot/util-crypto';

const tool = process.argv[2];
if (!tool) {
  console.error('usage: node sr25519_cross.mjs <path to sr25519_tool>');
  process.exit(2);
}

// The sr25519 implementation polkadot-js itself calls, resolved from @polkadot/util-crypto's
// own location: its sign and HDKD.secretSoft take the randomness as an argument.
const scure = createRequire(import.meta.resolve('@polkadot/util-crypto'))('@scure/sr25519');

const DEV_PHRASE = 'bottom drive obey lake curtain smoke basket hold race lonely fit walk';
const ROUNDS = 48;
let failures = 0;
let checks = 0;

const hex = (u8a) => u8aToHex(u8a).slice(2);
const randomMessage = () => randomAsU8a(Math.floor(Math.random() * 300));

function check(what, ok, detail) {
  checks += 1;
  if (!ok) {
    failures += 1;
    console.error(`MISMATCH ${what}${detail ? `: ${detail}` : ''}`);
  }
}

// One run of the tool for a batch of commands (fields joined by tabs); its answers, split.
function ours(commands) {
  const run = spawnSync(tool, { input: commands.map((fields) => fields.join('\t')).join('\n') + '\n',
    encoding: 'utf8', maxBuffer: 64 << 20 });
  if (run.status !== 0 || run.error) {
    console.error(`sr25519_tool failed: ${run.error ?? run.stderr}`);
    process.exit(1);
  }
  const lines = run.stdout.split('\n');
  lines.pop();
  if (lines.length !== commands.length) {
    console.error(`sr25519_tool answered ${lines.length} lines for ${commands.length} commands`);
    process.exit(1);
  }
  return lines.map((line) => line.split('\t'));
}

// polkadot-js's verdict: false or an exception are both refusals.
function theirsVerify(message, signature, publicKey) {
  try {
    return sr25519Verify(message, signature, publicKey);
  } catch {
    return false;
  }
}

// The ways a signature is tampered with; each must be refused by both sides.
const l = (1n << 252n) + 27742317777372353535851937790883648493n;
function leToBig(u8a) {
  return u8a.reduceRight((acc, byte) => (acc << 8n) | BigInt(byte), 0n);
}
function bigToLe(value) {
  const out = new Uint8Array(32);
  for (let i = 0; i < 32; i++, value >>= 8n) out[i] = Number(value & 0xffn);
  return out;
}
const tamperings = {
  'bit of R flipped': (s) => { s[3] ^= 0x10; },
  'bit of s flipped': (s) => { s[40] ^= 0x01; },
  'marker bit cleared': (s) => { s[63] &= 0x7f; },
  's + l (non-canonical)': (s) => {
    const value = leToBig(s.slice(32)) & ((1n << 255n) - 1n);
    s.set(bigToLe(value + l), 32);
    s[63] |= 0x80;
  },
  'R not a point (odd)': (s) => { s[0] |= 0x01; },
  'R with bit 255 set': (s) => { s[31] |= 0x80; },
};

await cryptoWaitReady();

// 1. Key pairs from seeds: public keys and the 64-byte secrets agree.
{
  const seeds = Array.from({ length: ROUNDS }, () => randomAsU8a(32));
  const answers = ours(seeds.map((seed) => ['pair', hex(seed)]));
  seeds.forEach((seed, i) => {
    const pair = sr25519PairFromSeed(seed);
    check(`pair from seed ${hex(seed)}`, answers[i][0] === hex(pair.publicKey) &&
      answers[i][1] === hex(pair.secretKey), answers[i].join(' '));
  });
}

// 2. polkadot-js signs, we verify; 3. we sign, polkadot-js verifies; both refuse tamperings.
{
  const cases = Array.from({ length: ROUNDS }, () => {
    const pair = sr25519PairFromSeed(randomAsU8a(32));
    return { pair, message: randomMessage() };
  });
  const signedByUs = ours(cases.map(({ pair, message }) =>
    ['sign', hex(pair.secretKey), hex(message)])).map(([signature]) => hexToU8a(`0x${signature}`));
  const commands = [];
  const expectations = [];
  cases.forEach(({ pair, message }, i) => {
    const theirs = sr25519Sign(message, pair);
    commands.push(['verify', hex(pair.publicKey), hex(message), hex(theirs)]);
    expectations.push({ what: `our verify of polkadot-js's signature ${i}`, ok: true });
    check(`polkadot-js verify of our signature ${i}`,
      theirsVerify(message, signedByUs[i], pair.publicKey), hex(signedByUs[i]));
    for (const [name, tamper] of Object.entries(tamperings)) {
      for (const [signer, signature] of [['polkadot-js', theirs], ['our', signedByUs[i]]]) {
        const tampered = Uint8Array.from(signature);
        tamper(tampered);
        commands.push(['verify', hex(pair.publicKey), hex(message), hex(tampered)]);
        expectations.push({ what: `our verify of ${signer} signature ${i}, ${name}`, ok: false });
        check(`polkadot-js refuses ${signer} signature ${i}, ${name}`,
          !theirsVerify(message, tampered, pair.publicKey));
      }
    }
    // Another message, another key.
    const other = sr25519PairFromSeed(randomAsU8a(32));
    const otherMessage = Uint8Array.from([...message, 1]);
    commands.push(['verify', hex(pair.publicKey), hex(otherMessage), hex(theirs)]);
    expectations.push({ what: `our verify of signature ${i} on another message`, ok: false });
    commands.push(['verify', hex(other.publicKey), hex(message), hex(theirs)]);
    expectations.push({ what: `our verify of signature ${i} under another key`, ok: false });
    check(`polkadot-js refuses signature ${i} on another message`,
      !theirsVerify(otherMessage, signedByUs[i], pair.publicKey));
    check(`polkadot-js refuses signature ${i} under another key`,
      !theirsVerify(message, signedByUs[i], other.publicKey));
  });
  ours(commands).forEach((answer, i) => {
    check(expectations[i].what, (answer[0] === 'ok') === expectations[i].ok, answer.join(' '));
  });
}

// 4. With the randomness given, our signature is polkadot-js's byte for byte.
{
  const cases = Array.from({ length: ROUNDS }, () => ({
    pair: sr25519PairFromSeed(randomAsU8a(32)), message: randomMessage(), random: randomAsU8a(32)
  }));
  const answers = ours(cases.map(({ pair, message, random }) =>
    ['sign-with', hex(pair.secretKey), hex(message), hex(random)]));
  cases.forEach(({ pair, message, random }, i) => {
    const theirs = scure.sign(pair.secretKey, message, () => random);
    check(`signature with fixed randomness ${i}`, answers[i][0] === hex(theirs), answers[i][0]);
  });
}

// 5. Junctions: the chain codes of keyExtractPath (names, indices, long names, non-ASCII).
{
  const texts = ['Alice', '/Alice', '0', '/0', '42', '18446744073709551615', 'stash', '/polkadot',
    'x'.repeat(31), 'x'.repeat(32), '/' + 'y'.repeat(70), 'ñame', '/日本'];
  const answers = ours(texts.map((text) => ['junction', text]));
  texts.forEach((text, i) => {
    const { path: [junction] } = keyExtractPath(`/${text}`);
    check(`junction ${text}`, answers[i][0] === hex(junction.chainCode) &&
      answers[i][1] === (junction.isHard ? 'hard' : 'soft'), answers[i].join(' '));
  });
}

// 6. Single derivation steps: hard (whole secret), soft with fixed randomness (whole secret),
// soft on the public key.
{
  const cases = Array.from({ length: ROUNDS }, () => ({
    pair: sr25519PairFromSeed(randomAsU8a(32)), chainCode: randomAsU8a(32), random: randomAsU8a(32)
  }));
  const commands = cases.flatMap(({ pair, chainCode, random }) => [
    ['derive-hard', hex(pair.secretKey), hex(chainCode)],
    ['derive-soft-with', hex(pair.secretKey), hex(chainCode), hex(random)],
    ['derive-soft-public', hex(pair.publicKey), hex(chainCode)]]);
  const answers = ours(commands);
  cases.forEach(({ pair, chainCode, random }, i) => {
    check(`hard derivation ${i}`,
      answers[3 * i][0] === hex(scure.HDKD.secretHard(pair.secretKey, chainCode)), answers[3 * i][0]);
    check(`soft derivation with fixed randomness ${i}`,
      answers[3 * i + 1][0] === hex(scure.HDKD.secretSoft(pair.secretKey, chainCode, () => random)),
      answers[3 * i + 1][0]);
    check(`public soft derivation ${i}`,
      answers[3 * i + 2][0] === hex(scure.HDKD.publicSoft(pair.publicKey, chainCode)),
      answers[3 * i + 2][0]);
  });
}

// 7. Mnemonics (random ones of every length, passwords ASCII, empty and not) give the same
// mini secret; broken checksums are refused by both.
{
  const passwords = ['', 'password', 'pässwörd ✓', 'with space/and/slashes'];
  const cases = [12, 15, 18, 21, 24].flatMap((words) =>
    passwords.map((password) => ({ phrase: mnemonicGenerate(words), password })));
  const broken = cases.map(({ phrase }) => {
    const words = phrase.split(' ');
    [words[0], words[1]] = [words[1], words[0]];
    return words.join(' ');
  }).filter((phrase) => { try { mnemonicToMiniSecret(phrase); return false; } catch { return true; } });
  const answers = ours([
    ...cases.map(({ phrase, password }) => ['mnemonic', hex(stringToU8a(password)), phrase]),
    ...broken.map((phrase) => ['mnemonic', '', phrase])]);
  cases.forEach(({ phrase, password }, i) => {
    check(`mnemonic ${i} (${phrase.split(' ').length} words, password '${password}')`,
      answers[i][0] === hex(mnemonicToMiniSecret(phrase, password)), answers[i].join(' '));
  });
  broken.forEach((phrase, i) => {
    check(`broken mnemonic ${i} refused`, answers[cases.length + i][0] === 'error',
      answers[cases.length + i].join(' '));
  });
}

// 8. Secret URIs: the public key polkadot-js derives (keyExtractSuri, mnemonicToMiniSecret or
// the hex seed, keyFromPath) is ours. A URI without a phrase means the development phrase.
{
  const mnemonic = mnemonicGenerate(12);
  const mnemonic24 = mnemonicGenerate(24);
  const seed = hex(randomAsU8a(32));
  const uris = ['//Alice', '//Bob', '//Alice//stash', '//Alice/soft', '/soft', '//0', '/0',
    '//Alice/0//1', '//Bob///password', '//polkadot//0/1/x///secret pass', '',
    mnemonic, `${mnemonic}//hard/soft`, `${mnemonic}//hard/soft///pw`, `${mnemonic24}/a//b`,
    `${mnemonic}///`, `0x${seed}`, `0x${seed}//Alice/soft`, `0x${seed.toUpperCase()}//0`];
  const answers = ours(uris.map((uri) => ['uri', uri]));
  uris.forEach((uri, i) => {
    const full = uri.startsWith('/') || uri === '' ? `${DEV_PHRASE}${uri}` : uri;
    const { password, path, phrase } = keyExtractSuri(full);
    const mini = isHex(phrase, 256) ? hexToU8a(phrase) : mnemonicToMiniSecret(phrase, password);
    const pair = keyFromPath(sr25519PairFromSeed(mini), path, 'sr25519');
    check(`secret URI '${uri.replace(/^[a-z ]{40,}/, '<mnemonic>')}'`,
      answers[i][0] === hex(pair.publicKey), answers[i].join(' '));
  });
}

if (failures > 0) {
  console.error(`sr25519 cross-check: ${failures} of ${checks} checks disagree`);
  process.exit(1);
}
console.log(`sr25519 cross-check: ${checks} checks agree with polkadot-js`);
