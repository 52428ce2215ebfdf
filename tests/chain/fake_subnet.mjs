// The fake chain's subnets: what NeuronInfoRuntimeApi_get_neurons_lite answers, encoded by
// @polkadot/types from types registered here by hand (the metadata of the fake's node has no
// runtime-API section, and subtensor's v14 metadata none either), field for field as subtensor
// declares them (pallets/subtensor/src/rpc_info/neuron_info.rs, AxonInfo and PrometheusInfo in
// pallets/subtensor/src/lib.rs). schemas/CHAIN.md, "Metagraph".
//
// A subnet is installed as JSON (fake_chain.mjs's "subnet" command):
//
//   {"netuid": 1, "form": "current" | "wrapped", "malformed": "truncated" | "trailing" | "bad-bool",
//    "neurons": [{"hotkey": SS58, "coldkey": SS58, "uid": 0, "netuid": 1, "active": true,
//                 "axon_info": {"block": 0, "version": 0, "ip": "10.0.0.1" | "2001:db8::1" | "123",
//                               "port": 0, "ip_type": 4, "protocol": 0, "placeholder1": 0,
//                               "placeholder2": 0},
//                 "prometheus_info": {"block": 0, "version": 0, "ip": ..., "port": 0, "ip_type": 0},
//                 "stake": [[SS58, "rao"]], "rank": 0, "emission": "rao", "incentive": 0,
//                 "consensus": 0, "trust": 0, "validator_trust": 0, "dividends": 0,
//                 "last_update": 0, "validator_permit": false, "pruning_score": 0}, ...]}
//
// Missing fields are zero (false, empty). Integers above 2^53 go as decimal strings. "form":
// "current" answers Vec<NeuronInfoLite> (subtensor since February 2025), "wrapped" the older
// Vec<u8> holding those same bytes. "malformed" breaks the answer: "truncated" drops its last
// byte, "trailing" appends a zero byte, "bad-bool" sets the last neuron's `active` to 2 (inside
// the wrapping, whose length then still matches).

import { TypeRegistry } from '@polkadot/types';
import { u8aConcat, u8aToHex } from '@polkadot/util';
import { decodeAddress } from '@polkadot/util-crypto';

const registry = new TypeRegistry();
registry.register({
  SubnetAxonInfo: {
    block: 'u64',
    version: 'u32',
    ip: 'u128',
    port: 'u16',
    ipType: 'u8',
    protocol: 'u8',
    placeholder1: 'u8',
    placeholder2: 'u8',
  },
  SubnetPrometheusInfo: {
    block: 'u64',
    version: 'u32',
    ip: 'u128',
    port: 'u16',
    ipType: 'u8',
  },
  NeuronInfoLite: {
    hotkey: 'AccountId32',
    coldkey: 'AccountId32',
    uid: 'Compact<u16>',
    netuid: 'Compact<u16>',
    active: 'bool',
    axonInfo: 'SubnetAxonInfo',
    prometheusInfo: 'SubnetPrometheusInfo',
    stake: 'Vec<(AccountId32, Compact<u64>)>',
    rank: 'Compact<u16>',
    emission: 'Compact<u64>',
    incentive: 'Compact<u16>',
    consensus: 'Compact<u16>',
    trust: 'Compact<u16>',
    validatorTrust: 'Compact<u16>',
    dividends: 'Compact<u16>',
    lastUpdate: 'Compact<u64>',
    validatorPermit: 'bool',
    pruningScore: 'Compact<u16>',
  },
});

// An IP address as subtensor stores it: the address's bytes read as one big-endian integer
// (what bittensor's ip_to_int and netaddr's int() give). Text with dots is IPv4, with colons
// IPv6 (one "::" at most); anything else is the integer in decimal.
export function ipToBigInt(text) {
  if (text === undefined || text === null) return 0n;
  const value = String(text);
  if (value.includes(':')) {
    // A dotted IPv4 tail ("::ffff:1.2.3.4") is the last two groups.
    const dotted = value.match(/^(.*:)(\d+\.\d+\.\d+\.\d+)$/);
    if (dotted) {
      const v4 = ipToBigInt(dotted[2]);
      return ipToBigInt(`${dotted[1]}${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`);
    }
    const [head, tail] = value.split('::');
    const groups = (part) => (part ? part.split(':') : []);
    const left = groups(head);
    const right = tail === undefined ? [] : groups(tail);
    const all = tail === undefined ? left : [...left, ...Array(8 - left.length - right.length).fill('0'), ...right];
    if (all.length !== 8) throw new Error(`not an IPv6 address: ${value}`);
    return all.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g, 16)), 0n);
  }
  if (value.includes('.')) {
    const octets = value.split('.').map(Number);
    if (octets.length !== 4 || octets.some((o) => !(o >= 0 && o <= 255))) throw new Error(`not an IPv4 address: ${value}`);
    return octets.reduce((acc, o) => (acc << 8n) | BigInt(o), 0n);
  }
  return BigInt(value);
}

const big = (v) => BigInt(v ?? 0);

function neuronType(n) {
  const axon = n.axon_info ?? {};
  const prometheus = n.prometheus_info ?? {};
  return registry.createType('NeuronInfoLite', {
    hotkey: decodeAddress(n.hotkey),
    coldkey: decodeAddress(n.coldkey),
    uid: n.uid ?? 0,
    netuid: n.netuid ?? 0,
    active: n.active ?? false,
    axonInfo: {
      block: big(axon.block),
      version: axon.version ?? 0,
      ip: ipToBigInt(axon.ip),
      port: axon.port ?? 0,
      ipType: axon.ip_type ?? 0,
      protocol: axon.protocol ?? 0,
      placeholder1: axon.placeholder1 ?? 0,
      placeholder2: axon.placeholder2 ?? 0,
    },
    prometheusInfo: {
      block: big(prometheus.block),
      version: prometheus.version ?? 0,
      ip: ipToBigInt(prometheus.ip),
      port: prometheus.port ?? 0,
      ipType: prometheus.ip_type ?? 0,
    },
    stake: (n.stake ?? []).map(([account, rao]) => [decodeAddress(account), big(rao)]),
    rank: n.rank ?? 0,
    emission: big(n.emission),
    incentive: n.incentive ?? 0,
    consensus: n.consensus ?? 0,
    trust: n.trust ?? 0,
    validatorTrust: n.validator_trust ?? 0,
    dividends: n.dividends ?? 0,
    lastUpdate: big(n.last_update),
    validatorPermit: n.validator_permit ?? false,
    pruningScore: n.pruning_score ?? 0,
  });
}

// The bytes of Vec<NeuronInfoLite> for `neurons`, with the offset of each neuron's `active` byte.
function encodeNeurons(neurons) {
  const list = registry.createType('Vec<NeuronInfoLite>', neurons.map(neuronType));
  const bytes = list.toU8a();
  // The items follow the compact length; in each, `active` follows the two account ids and the
  // two compacts.
  let offset = registry.createType('Compact<u32>', neurons.length).encodedLength;
  const activeOffsets = list.map((item) => {
    const at = offset + 64 + item.uid.encodedLength + item.netuid.encodedLength;
    offset += item.encodedLength;
    return at;
  });
  if (offset !== bytes.length) throw new Error('neuron offsets do not add up');
  return { bytes, activeOffsets };
}

// The state_call result (hex) for a subnet described as above.
export function neuronsLiteAnswer(subnet) {
  const neurons = subnet.neurons ?? [];
  const { bytes: items, activeOffsets } = encodeNeurons(neurons);
  if (subnet.malformed === 'bad-bool') {
    if (neurons.length === 0) throw new Error('bad-bool needs a neuron');
    items[activeOffsets[activeOffsets.length - 1]] = 2;
  }
  let answer;
  switch (subnet.form ?? 'current') {
    case 'current':
      answer = items;
      break;
    case 'wrapped':
      answer = registry.createType('Bytes', u8aToHex(items)).toU8a();
      break;
    default:
      throw new Error(`unknown form ${subnet.form}`);
  }
  switch (subnet.malformed) {
    case undefined:
    case 'bad-bool':
      break;
    case 'truncated':
      answer = answer.slice(0, answer.length - 1);
      break;
    case 'trailing':
      answer = u8aConcat(answer, new Uint8Array([0]));
      break;
    default:
      throw new Error(`unknown malformation ${subnet.malformed}`);
  }
  return u8aToHex(answer);
}

// The runtime API's argument: the netuid, a u16.
export const netuidParam = (netuid) => u8aToHex(registry.createType('u16', netuid).toU8a());
