-- Writes :count signed records into shard :'shard' on the current node, signed by node-1:
-- keys :'prefix'1 .. :'prefix':count, version :version, value {"n": i}. Signing happens outside
-- SQL (regress/sign.py), as a client would: payloads out, signatures back in.
SELECT encode(mycelium.signing_payload('put', :'shard', :'prefix' || i, jsonb_build_object('n', i),
                                       :version, 'node-1'), 'hex')
  FROM generate_series(1, :count) i ORDER BY i \g (format=unaligned tuples_only) :tmpdir/payloads
\set signatures `:sign sign-many node-1 < :tmpdir/payloads | tr '\n' ' '`
SELECT count(*) AS written FROM (
  SELECT mycelium.put(:'shard', :'prefix' || s.n, jsonb_build_object('n', s.n), :version, 'node-1', s.signature)
    FROM unnest(string_to_array(trim(:'signatures'), ' ')) WITH ORDINALITY AS s(signature, n)
   ORDER BY s.n) w;
