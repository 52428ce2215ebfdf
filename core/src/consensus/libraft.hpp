// The one place that includes libraft's C header. raft.h (0.15) has no extern "C" guard of its
// own. Private to core/src/consensus: nothing public exposes a libraft type, so the library can
// be replaced (a newer libraft, or its fork cowsql/raft) behind ConsensusGroup.
#pragma once

extern "C" {
#include <raft.h>
}
