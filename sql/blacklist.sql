-- Blacklist: a validator bans a node with an entry it signs; agents relay the entries to every
-- node, and each node's database verifies every entry itself, whoever delivered it. One entry
-- per (banned node, creator): the creator's latest decision.
\getenv abs_srcdir PG_ABS_SRCDIR
\i :abs_srcdir/regress/helpers.sql

-- validator-1 bans miner-1 for good (expires_at_ms 0 = never), at 2023-11-14 22:13:20 UTC.
-- It signs the entry's bytes (PROTOCOL.md, "BlacklistSync"); sign.py builds them itself,
-- independently of the database, so an accepted entry shows that both frame it alike.
\set reason 'served forged pages'
\set sig1 `:sign blacklist validator-1 miner-1 :'reason' validator-1 1700000000000 0`
SELECT mycelium.blacklist_add('miner-1', :'reason', 'validator-1', 1700000000000, 0, :'sig1', 'validator-2');
-- The database gives the same bytes, for clients that do not build them.
SELECT mycelium.blacklist_payload('miner-1', :'reason', 'validator-1', 1700000000000, 0);
SELECT node_id, created_by, reason, created_at_ms, expires_at_ms, received_from
  FROM mycelium.blacklist;

-- Every peer relays the same entry: exactly this entry again is a duplicate, and nothing
-- changes (received_from still names the first peer).
SELECT mycelium.blacklist_add('miner-1', :'reason', 'validator-1', 1700000000000, 0, :'sig1', 'validator-3');
SELECT node_id, created_by, received_from FROM mycelium.blacklist;

-- validator-1 decides again a minute later, with another reason: the newer entry replaces the
-- older one.
\set reason2 'served forged pages, again'
\set sig2 `:sign blacklist validator-1 miner-1 :'reason2' validator-1 1700000060000 0`
SELECT mycelium.blacklist_add('miner-1', :'reason2', 'validator-1', 1700000060000, 0, :'sig2', 'validator-2');
SELECT node_id, created_by, reason, created_at_ms FROM mycelium.blacklist;
-- The older decision, relayed late, is superseded: nothing changes.
SELECT mycelium.blacklist_add('miner-1', :'reason', 'validator-1', 1700000000000, 0, :'sig1', 'validator-2');
-- So is another entry by the same creator with the same created_at_ms: the one held first stays.
\set sig2b `:sign blacklist validator-1 miner-1 'something else' validator-1 1700000060000 0`
SELECT mycelium.blacklist_add('miner-1', 'something else', 'validator-1', 1700000060000, 0, :'sig2b', 'validator-2');
SELECT node_id, created_by, reason, created_at_ms FROM mycelium.blacklist;

-- Another validator's entry against the same node is a separate vote. validator-2's expires
-- in 3 s (an expiry is signed like every other field).
SELECT floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint AS now_ms \gset
SELECT :now_ms + 3000 AS exp_ms \gset
\set sig3 `:sign blacklist validator-2 miner-1 'too slow' validator-2 :now_ms :exp_ms`
SELECT mycelium.blacklist_add('miner-1', 'too slow', 'validator-2', :now_ms, :exp_ms, :'sig3', 'validator-2');
-- An entry may be dated up to 60 s ahead of this node's clock (the creator's clock may run a
-- little fast), and may name a node this database has not registered. This one is added by an
-- operator through SQL, not delivered by a peer: received_from is NULL.
SELECT :now_ms + 30000 AS ahead_ms \gset
\set sig4 `:sign blacklist validator-1 node-x 'probing ports' validator-1 :ahead_ms 0`
SELECT mycelium.blacklist_add('node-x', 'probing ports', 'validator-1', :ahead_ms, 0, :'sig4');

-- list_blacklist shows the live entries with readable times (expires_at NULL: never).
SELECT node_id, created_by, reason, expires_at IS NULL AS never_expires, expired, received_from
  FROM mycelium.list_blacklist();
SELECT created_at, expires_at FROM mycelium.list_blacklist() WHERE node_id = 'miner-1' AND created_by = 'validator-1';

-- Once validator-2's entry has expired it is no longer listed, except on request ...
SELECT pg_sleep(GREATEST(0, (:exp_ms - extract(epoch FROM clock_timestamp()) * 1000) / 1000.0 + 0.05));
SELECT node_id, created_by FROM mycelium.list_blacklist();
SELECT node_id, created_by, expired FROM mycelium.list_blacklist(include_expired => true);
-- ... and relayed again, it is refused (below: "Refusals").
SELECT regexp_replace(pg_temp.error_of(format($$SELECT mycelium.blacklist_add('miner-1', 'too slow', 'validator-2', %s, %s, %L)$$, :now_ms, :exp_ms, :'sig3')), '\d{13}', '<exp_ms>') AS error_of;
-- blacklist_expire removes expired entries and says how many.
SELECT mycelium.blacklist_expire();
SELECT mycelium.blacklist_expire();
SELECT node_id, created_by FROM mycelium.list_blacklist(true);

------------------------------------------------------------------------------------------------
-- Refusals. Checks run in this order; each failure has its own SQLSTATE and stores nothing.
------------------------------------------------------------------------------------------------
SELECT count(*) AS entries_before FROM mycelium.blacklist;
-- Shape (22023): the banned node's id ...
SELECT pg_temp.error_of(format($$SELECT mycelium.blacklist_add('bad id!', 'x', 'validator-1', 1700000000000, 0, %L)$$, :'sig1'));
SELECT pg_temp.error_of(format($$SELECT mycelium.blacklist_add(NULL, 'x', 'validator-1', 1700000000000, 0, %L)$$, :'sig1'));
-- ... the reason: not empty, at most 1000 bytes ...
SELECT pg_temp.error_of(format($$SELECT mycelium.blacklist_add('miner-1', '', 'validator-1', 1700000000000, 0, %L)$$, :'sig1'));
SELECT pg_temp.error_of(format($$SELECT mycelium.blacklist_add('miner-1', repeat('é', 501), 'validator-1', 1700000000000, 0, %L)$$, :'sig1'));
-- ... the expiry: 0 or later than created_at_ms ...
SELECT pg_temp.error_of(format($$SELECT mycelium.blacklist_add('miner-1', 'x', 'validator-1', 1700000000000, 1700000000000, %L)$$, :'sig1'));
SELECT pg_temp.error_of(format($$SELECT mycelium.blacklist_add('miner-1', 'x', 'validator-1', 1700000000000, NULL, %L)$$, :'sig1'));
-- ... a node cannot blacklist itself ...
SELECT pg_temp.error_of(format($$SELECT mycelium.blacklist_add('validator-1', 'x', 'validator-1', 1700000000000, 0, %L)$$, :'sig1'));
-- ... the signature is 128 lowercase hex characters ...
SELECT pg_temp.error_of($$SELECT mycelium.blacklist_add('miner-1', 'x', 'validator-1', 1700000000000, 0, 'abc')$$);
SELECT pg_temp.error_of(format($$SELECT mycelium.blacklist_add('miner-1', 'x', 'validator-1', 1700000000000, 0, %L)$$, upper(:'sig1')));
SELECT pg_temp.error_of($$SELECT mycelium.blacklist_add('miner-1', 'x', 'validator-1', 1700000000000, 0, NULL)$$);
-- ... and received_from, when given, is a node id.
SELECT pg_temp.error_of(format($$SELECT mycelium.blacklist_add('miner-1', 'x', 'validator-1', 1700000000000, 0, %L, '')$$, :'sig1'));

-- The creator must be, now, a registered (MC002), active (MC003) validator (MC004).
\set stranger_sig `:sign blacklist stranger miner-1 'x' stranger 1700000000000 0`
SELECT pg_temp.error_of(format($$SELECT mycelium.blacklist_add('miner-1', 'x', 'stranger', 1700000000000, 0, %L)$$, :'stranger_sig'));
\set inactive_sig `:sign blacklist validator-3 miner-1 'x' validator-3 1700000000000 0`
SELECT pg_temp.error_of(format($$SELECT mycelium.blacklist_add('miner-1', 'x', 'validator-3', 1700000000000, 0, %L)$$, :'inactive_sig'));
\set miner_sig `:sign blacklist miner-1 validator-2 'x' miner-1 1700000000000 0`
SELECT pg_temp.error_of(format($$SELECT mycelium.blacklist_add('validator-2', 'x', 'miner-1', 1700000000000, 0, %L)$$, :'miner_sig'));

-- The signature must verify with the creator's registered key (MC001): signed by another key
-- (validator-2 signed, validator-1 claimed) ...
\set forged `:sign blacklist validator-2 validator-2 'x' validator-1 1700000000000 0`
SELECT pg_temp.error_of(format($$SELECT mycelium.blacklist_add('validator-2', 'x', 'validator-1', 1700000000000, 0, %L)$$, :'forged'));
-- ... or any signed field changed by a relay: the reason, the expiry, the creation time.
SELECT pg_temp.error_of(format($$SELECT mycelium.blacklist_add('miner-1', 'served good pages', 'validator-1', 1700000000000, 0, %L)$$, :'sig1'));
SELECT pg_temp.error_of(format($$SELECT mycelium.blacklist_add('miner-1', %L, 'validator-1', 1700000000000, 1700000000001, %L)$$, :'reason', :'sig1'));
SELECT pg_temp.error_of(format($$SELECT mycelium.blacklist_add('miner-1', %L, 'validator-1', 1700000000001, 0, %L)$$, :'reason', :'sig1'));

-- An authentic entry that has expired (22023) ...
\set old_sig `:sign blacklist validator-1 miner-1 'x' validator-1 1700000000000 1700000005000`
SELECT pg_temp.error_of(format($$SELECT mycelium.blacklist_add('miner-1', 'x', 'validator-1', 1700000000000, 1700000005000, %L)$$, :'old_sig'));
-- ... or is dated more than 60 s ahead of this node's clock (22023): 2100-01-01 ...
\set future_sig `:sign blacklist validator-1 miner-1 'x' validator-1 4102444800000 0`
SELECT pg_temp.error_of(format($$SELECT mycelium.blacklist_add('miner-1', 'x', 'validator-1', 4102444800000, 0, %L)$$, :'future_sig'));
-- ... or just 90 s ahead (the message names the time, so only the SQLSTATE is shown).
SELECT :now_ms + 90000 AS early_ms \gset
\set early_sig `:sign blacklist validator-1 miner-1 'x' validator-1 :early_ms 0`
SELECT left(pg_temp.error_of(format($$SELECT mycelium.blacklist_add('miner-1', 'x', 'validator-1', %s, 0, %L)$$, :early_ms, :'early_sig')), 5) AS sqlstate;
-- Authenticity comes before time: an expired entry with a bad signature reports the signature.
SELECT pg_temp.error_of(format($$SELECT mycelium.blacklist_add('miner-1', 'y', 'validator-1', 1700000000000, 1700000005000, %L)$$, :'old_sig'));

SELECT count(*) AS entries_after FROM mycelium.blacklist;

------------------------------------------------------------------------------------------------
-- Lifting a ban
------------------------------------------------------------------------------------------------
-- validator-2 bans miner-1 again, for good; then an operator lifts the ban on miner-1: every
-- entry against it goes, and the lift is remembered.
\set sig5 `:sign blacklist validator-2 miner-1 'too slow' validator-2 1700000120000 0`
SELECT mycelium.blacklist_add('miner-1', 'too slow', 'validator-2', 1700000120000, 0, :'sig5');
SELECT floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint AS before_lift \gset
SELECT mycelium.blacklist_lift('miner-1') AS removed;
SELECT count(*) AS against_miner_1 FROM mycelium.blacklist WHERE node_id = 'miner-1';
SELECT node_id, lifted_at_ms >= :before_lift AS lifted_now, lifted_by = session_user AS by_caller
  FROM mycelium.blacklist_lifts;
-- Peers still relaying the lifted entries cannot bring the ban back: they are refused as
-- 'lifted', and nothing is stored.
SELECT mycelium.blacklist_add('miner-1', :'reason2', 'validator-1', 1700000060000, 0, :'sig2', 'validator-2');
SELECT mycelium.blacklist_add('miner-1', 'too slow', 'validator-2', 1700000120000, 0, :'sig5', 'validator-2');
SELECT count(*) AS against_miner_1 FROM mycelium.blacklist WHERE node_id = 'miner-1';
-- A new decision, created after the lift, stands.
SELECT lifted_at_ms + 1 AS after_lift FROM mycelium.blacklist_lifts WHERE node_id = 'miner-1' \gset
\set sig6 `:sign blacklist validator-1 miner-1 'forged pages after all' validator-1 :after_lift 0`
SELECT mycelium.blacklist_add('miner-1', 'forged pages after all', 'validator-1', :after_lift, 0, :'sig6');
SELECT node_id, created_by, reason FROM mycelium.list_blacklist();

-- node-x's entry is dated 30 s ahead. The lift is dated no earlier than the newest entry it
-- removed, so that very entry, relayed again, is refused too.
SELECT mycelium.blacklist_lift('node-x') AS removed;
SELECT lifted_at_ms = :ahead_ms AS lifted_at_newest_entry FROM mycelium.blacklist_lifts WHERE node_id = 'node-x';
SELECT mycelium.blacklist_add('node-x', 'probing ports', 'validator-1', :ahead_ms, 0, :'sig4');
-- Lifting a node with no entries records the lift; a bad node id is 22023.
SELECT mycelium.blacklist_lift('node-z') AS removed;
SELECT pg_temp.error_of($$SELECT mycelium.blacklist_lift('bad id!')$$);
SELECT pg_temp.error_of($$SELECT mycelium.blacklist_lift(NULL)$$);

------------------------------------------------------------------------------------------------
-- Roles. The agent's login (mycelium_replicator and mycelium_miner) delivers and expires
-- entries; only an admin lifts; everyone reads.
------------------------------------------------------------------------------------------------
CREATE ROLE regress_bl_agent LOGIN IN ROLE mycelium_replicator, mycelium_miner;
CREATE ROLE regress_bl_miner LOGIN IN ROLE mycelium_miner;
CREATE ROLE regress_bl_admin LOGIN IN ROLE mycelium_admin;
\set sig7 `:sign blacklist validator-2 node-y 'spam' validator-2 1700000000000 0`

SET ROLE regress_bl_agent;
SELECT mycelium.blacklist_add('node-y', 'spam', 'validator-2', 1700000000000, 0, :'sig7', 'validator-1');
SELECT node_id, created_by, created_at_ms, expires_at_ms, received_from FROM mycelium.blacklist WHERE node_id = 'node-y';
SELECT node_id FROM mycelium.blacklist_lifts ORDER BY node_id;
SELECT mycelium.blacklist_expire();
SELECT pg_temp.error_of($$SELECT mycelium.blacklist_lift('node-y')$$);
SELECT pg_temp.error_of($$DELETE FROM mycelium.blacklist$$);
SELECT pg_temp.error_of(format($$INSERT INTO mycelium.blacklist (node_id, created_by, reason, created_at_ms, expires_at_ms, signature) VALUES ('node-q', 'validator-2', 'x', 1, 0, %L)$$, :'sig7'));
RESET ROLE;

SET ROLE regress_bl_miner;
SELECT node_id, created_by, reason FROM mycelium.list_blacklist();
SELECT pg_temp.error_of(format($$SELECT mycelium.blacklist_add('node-y', 'spam', 'validator-2', 1700000000000, 0, %L)$$, :'sig7'));
SELECT pg_temp.error_of($$SELECT mycelium.blacklist_lift('node-y')$$);
SELECT pg_temp.error_of($$SELECT mycelium.blacklist_expire()$$);
RESET ROLE;

SET ROLE regress_bl_admin;
SELECT mycelium.blacklist_lift('node-y') AS removed;
SELECT lifted_by FROM mycelium.blacklist_lifts WHERE node_id = 'node-y';
RESET ROLE;

DROP ROLE regress_bl_agent, regress_bl_miner, regress_bl_admin;
