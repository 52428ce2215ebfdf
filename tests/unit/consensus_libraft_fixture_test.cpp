// Pins libraft 0.15 behaviour that ConsensusGroup relies on, on libraft's own in-memory fixture.
extern "C" {
#include <raft.h>
#include <raft/fixture.h>
}

#include <gtest/gtest.h>
