#include "mycelium/consensus/raft_group.hpp"
#include <gtest/gtest.h>
