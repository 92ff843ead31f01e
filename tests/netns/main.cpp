// Multi-node across network namespaces: each worker in its own namespace, reaching the
// coordinator over a veth link that the test can set down (a partition: packets silently
// dropped) and up again. Needs root and iproute2; skipped otherwise, saying why.
#define BOOST_TEST_MODULE netns
#include <boost/test/unit_test.hpp>
