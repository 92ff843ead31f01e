// Online model tests: streaming k-means, streaming linear and logistic regression, their state
// encodings and the prequential evaluators. Every other .cpp of this folder joins this
// executable.
#define BOOST_TEST_MODULE ml
#include <boost/test/unit_test.hpp>
