// API tests: the fluent typed API builds the expected logical graph, and build_plan turns it into
// the expected physical plan. Every other .cpp of this folder joins this executable.
#define BOOST_TEST_MODULE api
#include <boost/test/unit_test.hpp>
