// Failure injection: the example jobs are SIGKILLed at random times and at named fault points
// (checkpoints/fault_points.hpp), restarted, and their committed output checked record by record.
// A kill before any checkpoint completed proves nothing about recovery and counts as inconclusive.
#define BOOST_TEST_MODULE fault_injection
#include <boost/test/unit_test.hpp>
