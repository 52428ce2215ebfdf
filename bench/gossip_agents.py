#!/usr/bin/python3
"""Driver of bench/gossip-agents.sh: reach time of gossip across real agents.

    gossip_agents.py LABEL MESSAGES GAP_MS RATE HTTP_PORT...

Publishes with POST /gossip on the agents listening on HTTP_PORT..., origins taken in turn, then
reads GET /gossip on every agent. A message's reach time is the latest `received_us` among the
other agents minus the origin's `published_us` (one wall clock: all agents run on this machine).
Two rounds:
  paced: MESSAGES messages, one at a time, GAP_MS apart (no queueing anywhere);
  load:  MESSAGES messages at RATE per second in total (at most: the rate reached is printed),
         every agent publishing at once.
Copies per message come from the agents' mycelium_agent_gossip_total counters (every frame
received: delivered, duplicate, ...). Prints one Markdown table row per round.
Standard library only (runs under /usr/bin/python3).
"""
import json
import statistics
import sys
import os
import threading
import time
import urllib.request

label, messages, gap_ms, rate = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
ports = [int(p) for p in sys.argv[5:]]
KEPT = 1000  # GET /gossip shows the last 1000 deliveries per agent
TOKEN = os.environ["AGENT_NET_TOKEN"]  # http.token_file of the agents (agent_net.sh)
if messages * (len(ports) - 1) // len(ports) >= KEPT:
    sys.exit("at most %d messages per round" % (KEPT * len(ports) // (len(ports) - 1) - 1))


def get(port, path):
    with urllib.request.urlopen("http://127.0.0.1:%d%s" % (port, path), timeout=10) as r:
        return r.read().decode()


def publish(port, body):
    req = urllib.request.Request("http://127.0.0.1:%d/gossip?topic=bench" % port,
                                 data=body.encode(), method="POST",
                                 headers={"Authorization": "Bearer " + TOKEN})
    with urllib.request.urlopen(req, timeout=10) as r:
        d = json.loads(r.read())
    return d["message_id"], d["published_us"]


def frames_received():
    """Gossip frames received by all agents together (every verdict but 'published')."""
    total = 0
    for port in ports:
        for line in get(port, "/metrics").splitlines():
            if line.startswith("mycelium_agent_gossip_total{") and 'verdict="published"' not in line:
                total += int(float(line.split()[-1]))
    return total


def deliveries():
    """message_id -> {port: (received_us, ttl)} over every agent."""
    seen = {}
    for port in ports:
        for m in json.loads(get(port, "/gossip"))["messages"]:
            seen.setdefault(m["message_id"], {})[port] = (m["received_us"], m["ttl"])
    return seen


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def run_round(name, schedule):
    """schedule() publishes and returns [(origin_port, message_id, published_us)]."""
    before = frames_received()
    sent = schedule()
    span_s = (max(p for _, _, p in sent) - min(p for _, _, p in sent)) / 1e6
    name = name % (len(sent) / span_s if span_s > 0 else 0)
    deadline = time.time() + 5
    while True:  # wait until everything arrived or 5 s passed
        seen = deliveries()
        missing = sum(1 for o, mid, _ in sent for p in ports if p != o and p not in seen.get(mid, {}))
        if missing == 0 or time.time() > deadline:
            break
        time.sleep(0.2)
    copies = (frames_received() - before) / len(sent)
    reach, each, hops = [], [], []
    ttl0 = max(t for d in seen.values() for _, t in d.values())  # the configured ttl
    for origin, mid, published in sent:
        got = [seen[mid][p] for p in ports if p != origin and p in seen.get(mid, {})]
        if len(got) == len(ports) - 1:
            reach.append((max(r for r, _ in got) - published) / 1000.0)
        each += [(r - published) / 1000.0 for r, _ in got]
        hops += [ttl0 - t + 1 for _, t in got]
    if not reach:
        sys.exit("%s %s: no message reached every agent" % (label, name))
    print("| %s | %s | %d | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f | %d | %.1f | %d |" % (
        label, name, len(sent), pct(each, 50), pct(reach, 50), pct(reach, 95), pct(reach, 99),
        max(reach), statistics.mean(hops), max(hops), copies, missing))
    sys.stdout.flush()


def paced():
    sent = []
    for i in range(messages):
        origin = ports[i % len(ports)]
        mid, published = publish(origin, "paced %d" % i)
        sent.append((origin, mid, published))
        time.sleep(gap_ms / 1000.0)
    return sent


def loaded():
    sent, lock = [], threading.Lock()
    per_origin = messages // len(ports)
    interval = len(ports) / rate

    def origin_thread(port):
        start = time.time()
        for i in range(per_origin):
            pause = start + i * interval - time.time()
            if pause > 0:
                time.sleep(pause)
            mid, published = publish(port, "load %d" % i)
            with lock:
                sent.append((port, mid, published))

    threads = [threading.Thread(target=origin_thread, args=(p,)) for p in ports]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sent


run_round("paced, %g ms apart" % gap_ms + " (%.0f/s)", paced)
run_round("all publish at once (%.0f/s)", loaded)
