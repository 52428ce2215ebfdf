\set ECHO none
-- Helpers shared by the pg_regress tests; load with
--   \getenv abs_srcdir PG_ABS_SRCDIR
--   \i :abs_srcdir/regress/helpers.sql
\set QUIET on

-- Runs `statement` and returns 'SQLSTATE: message' of the error it raises, or 'no error'.
-- Shows SQLSTATEs in expected output without psql's verbose LOCATION lines, which name source
-- lines and would change with every edit.
CREATE OR REPLACE FUNCTION pg_temp.error_of(statement text) RETURNS text
LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE statement;
  RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
  RETURN SQLSTATE || ': ' || SQLERRM;
END $$;

-- The client-side test signer (regress/sign.py): `:sign public NAME`, `:sign sign NAME HEX`.
\set sign '/usr/bin/python3 ' :abs_srcdir '/regress/sign.py'
-- A Bittensor hotkey's signer, polkadot-js (tests/chain/polkadot_sign.mjs, an implementation
-- independent of ours): `:polkadot address //Alice`, `:polkadot sign //Alice HEX`.
\set polkadot 'node ' :abs_srcdir '/tests/chain/polkadot_sign.mjs'

\set QUIET off
\set ECHO all
