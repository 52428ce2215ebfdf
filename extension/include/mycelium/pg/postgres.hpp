// The only way extension code includes PostgreSQL headers. They are C headers written for a C
// compiler: give them C linkage and treat them as system headers so that -Wall -Wextra stays
// meaningful for our own code (PG 15 headers use `register` and have unused parameters).
#pragma once
#pragma GCC system_header

extern "C" {
#include "postgres.h"

#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/elog.h"
#include "utils/memutils.h"
}
