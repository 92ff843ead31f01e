// Multi-node: the example jobs run as a coordinator and workers on this machine (--role
// coordinator|worker), compared with local runs, with workers killed, hung and fenced, the
// coordinator restarted, TLS between nodes, and bad multi-node flags. A kill before any
// checkpoint completed proves nothing about recovery and counts as inconclusive.
#define BOOST_TEST_MODULE cluster
#include <boost/test/unit_test.hpp>
