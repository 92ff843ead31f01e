// Runtime tests: key-group routing, routers, output and input gates, the task runner driven by a
// recording transport, and whole jobs through the actor runtime. Every other .cpp of this folder
// joins this executable.
#define BOOST_TEST_MODULE actors
#include <boost/test/unit_test.hpp>
