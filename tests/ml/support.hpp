// Helpers shared by the ml tests: bit-exact comparisons, state bytes, small batch builders.
#pragma once

#include <bit>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

#include <Eigen/Core>

namespace sluice::ml::test {

inline bool same_bits(double a, double b) {
  return std::bit_cast<std::uint64_t>(a) == std::bit_cast<std::uint64_t>(b);
}

/// Same shape and, coefficient by coefficient, the same bits (so -0.0 differs from 0.0).
template <class A, class B>
bool same_bits(const Eigen::MatrixBase<A>& a, const Eigen::MatrixBase<B>& b) {
  if (a.rows() != b.rows() || a.cols() != b.cols())
    return false;
  for (Eigen::Index i = 0; i < a.rows(); ++i)
    for (Eigen::Index j = 0; j < a.cols(); ++j)
      if (!same_bits(a(i, j), b(i, j)))
        return false;
  return true;
}

/// What a checkpoint of the model would hold.
template <class Model>
std::string state_bytes(const Model& model) {
  std::string out;
  model.save_state(out);
  return out;
}

/// A matrix from rows written out in the test.
inline Eigen::MatrixXd rows(std::initializer_list<std::vector<double>> values) {
  Eigen::MatrixXd m(static_cast<Eigen::Index>(values.size()),
                    values.size() == 0 ? 0 : static_cast<Eigen::Index>(values.begin()->size()));
  Eigen::Index i = 0;
  for (const auto& row : values) {
    for (Eigen::Index j = 0; j < m.cols(); ++j)
      m(i, j) = row[static_cast<std::size_t>(j)];
    ++i;
  }
  return m;
}

inline Eigen::VectorXd vec(std::initializer_list<double> values) {
  Eigen::VectorXd v(static_cast<Eigen::Index>(values.size()));
  Eigen::Index i = 0;
  for (double x : values)
    v[i++] = x;
  return v;
}

}  // namespace sluice::ml::test
