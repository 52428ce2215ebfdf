-- The extension computes exactly the bytes of the independent test vectors
-- (schemas/test-vectors/vectors.json, written by a python3-nacl implementation of SIGNING.md).
\getenv abs_srcdir PG_ABS_SRCDIR
\i :abs_srcdir/regress/helpers.sql
\set origdb :DBNAME
-- A database of its own: the vectors' node names would clash with the other tests' nodes.
CREATE DATABASE mycelium_vectors;
\c mycelium_vectors
\i :abs_srcdir/regress/helpers.sql
CREATE EXTENSION mycelium;
\set vectors `cat :abs_srcdir/schemas/test-vectors/vectors.json`
CREATE TEMP TABLE v AS SELECT :'vectors'::jsonb AS doc;

-- put: canonical value, payload and signature, case by case.
SELECT count(*) AS put_cases,
       count(*) FILTER (WHERE mycelium.canonical_json((p->>'value')::jsonb) = p->>'canonical_value') AS canonical_matches,
       count(*) FILTER (WHERE mycelium.signing_payload('put', p->>'shard_id', p->>'key', (p->>'value')::jsonb,
                                                       (p->>'version')::int, p->>'created_by')
                              = decode(p->>'payload_hex', 'hex')) AS payload_matches,
       count(*) FILTER (WHERE mycelium.verify_signature(p->>'public_key', decode(p->>'payload_hex', 'hex'), p->>'signature')) AS signatures_verify
  FROM v, jsonb_array_elements(doc->'put') p;

-- delete
SELECT count(*) AS delete_cases,
       count(*) FILTER (WHERE mycelium.signing_payload('delete', d->>'shard_id', d->>'key', NULL,
                                                       (d->>'version')::int, d->>'created_by')
                              = decode(d->>'payload_hex', 'hex')) AS payload_matches,
       count(*) FILTER (WHERE mycelium.verify_signature(d->>'public_key', decode(d->>'payload_hex', 'hex'), d->>'signature')) AS signatures_verify
  FROM v, jsonb_array_elements(doc->'delete') d;

-- register_node: the payload matches, and register_node accepts each vector's proof.
SELECT count(*) AS register_cases,
       count(*) FILTER (WHERE mycelium.registration_payload(r->>'node_id', r->>'node_type', r->>'public_key', r->>'ip',
                                                            (r->>'port')::int, r->>'version', (r->>'capabilities')::jsonb)
                              = decode(r->>'payload_hex', 'hex')) AS payload_matches
  FROM v, jsonb_array_elements(doc->'register_node') r;
SELECT mycelium.register_node(r->>'node_id', r->>'node_type', r->>'public_key', r->>'ip', (r->>'port')::int,
                              r->>'version', (r->>'capabilities')::jsonb, r->>'signature')
  FROM v, jsonb_array_elements(doc->'register_node') r;
SELECT node_id, node_type, capabilities FROM mycelium.node_metadata ORDER BY node_id;

-- A flipped bit in a vector's signature does not verify.
SELECT mycelium.verify_signature(p->>'public_key', decode(p->>'payload_hex', 'hex'),
                                 overlay(p->>'signature' placing (CASE WHEN left(p->>'signature', 1) = '0' THEN '1' ELSE '0' END) from 1 for 1)) AS flipped_verifies
  FROM v, jsonb_array_elements(doc->'put') p LIMIT 1;

-- Every value the vectors reject is rejected here too, by jsonb's parser or by
-- canonical_json, except duplicate keys: jsonb keeps the last of duplicate keys before the
-- extension sees the value (SIGNING.md: clients must refuse duplicates; the database signs what
-- it stores).
SELECT r->>'reason' AS accepted_by_the_database
  FROM v, jsonb_array_elements(doc->'canonical_reject') r
 WHERE pg_temp.error_of(format('SELECT mycelium.canonical_json(%L::jsonb)', r->>'value')) = 'no error';
SELECT count(*) AS reject_cases FROM v, jsonb_array_elements(doc->'canonical_reject');

\c :origdb
DROP DATABASE mycelium_vectors;
