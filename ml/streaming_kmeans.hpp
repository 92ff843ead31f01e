// Streaming k-means with forgetfulness, with Spark MLlib's StreamingKMeansModel.update rule: k
// centres and their decayed weights, updated once per mini-batch of points; a cluster whose
// weight dies is replaced by a split of the heaviest one. The rule, step by step, is in
// ml/README.md.
//
// A plain single-threaded class, not thread-safe: its owner (a model actor) serialises update,
// predict and state access. update() validates the whole batch before changing anything, so a
// rejected batch (std::invalid_argument) leaves the model as it was. The state (centres,
// weights, version) is what a checkpoint captures; options are the immutable description.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <Eigen/Core>
#include <nlohmann/json_fwd.hpp>

#include "ml/model_json.hpp"

namespace sluice::ml {

/// What the decay factor is applied per: once per mini-batch, or once per point in it.
enum class time_unit { batches, points };

struct kmeans_options {
  /// Number of clusters; at least 1.
  int k = 2;
  /// a >= 0: every update multiplies the cluster weights by a (batches) or a^m (points, m the
  /// points in the batch). Default 1.0: no forgetting. Ignored when half_life is set.
  double decay_factor = 1.0;
  /// Default none. A half-life h > 0 (in `unit`s) sets a = exp(ln 0.5 / h).
  std::optional<double> half_life = std::nullopt;
  /// Default batches.
  time_unit unit = time_unit::batches;
};

/// The mutable part of the model: exactly what a checkpoint holds.
struct kmeans_state {
  Eigen::MatrixXd centres;    // k x dim, centre j in row j
  Eigen::VectorXd weights;    // k decayed point counts, >= 0
  std::uint64_t version = 0;  // update() calls applied
};

struct nearest_centre {
  Eigen::Index index = 0;         // lowest index among equally near centres
  double squared_distance = 0.0;  // Euclidean, summed coordinate by coordinate in order
};

/// What one update did, for logs and metrics.
struct kmeans_update_report {
  Eigen::Index points = 0;
  double discount = 1.0;          // the factor applied to every weight
  bool split = false;             // a dying cluster was replaced by a split of the largest
  Eigen::Index dying = -1;        // when split: the cluster that took the "-" half
  Eigen::Index split_from = -1;   // when split: the largest cluster (kept the "+" half)
  /// Sum of the points' squared distances to their nearest centre before the update: the
  /// batch's prequential cost (equal to kmeans_cost before update), at no extra work, since
  /// the assignment already computed them.
  double cost = 0.0;
};

class streaming_kmeans {
 public:
  /// Starts from given centres (k rows, dim >= 1 columns) and weights (k, finite, >= 0).
  /// Throws std::invalid_argument on bad options or shapes.
  streaming_kmeans(kmeans_options options, Eigen::MatrixXd centres, Eigen::VectorXd weights);

  /// Starts from k centres with standard normal coordinates drawn from a generator seeded with
  /// `seed` (Marsaglia's polar method over mt19937_64: the same on every platform), all with
  /// the same initial `weight` (>= 0).
  static streaming_kmeans with_random_centres(kmeans_options options, Eigen::Index dim,
                                              double weight, std::uint64_t seed);

  /// Applies one mini-batch (one point per row, dim columns, finite). Every call counts as a
  /// version, an empty batch too: as in Spark it still decays the weights (batches unit) and
  /// runs the dying-cluster check. An empty batch may have any number of columns.
  kmeans_update_report update(const Eigen::Ref<const Eigen::MatrixXd>& points);

  /// Index of the nearest centre (lowest index on ties). Throws std::invalid_argument if the
  /// point has the wrong dimension or a coordinate that is not finite.
  Eigen::Index predict(const Eigen::Ref<const Eigen::VectorXd>& point) const;
  nearest_centre nearest(const Eigen::Ref<const Eigen::VectorXd>& point) const;
  /// predict() for every row.
  std::vector<Eigen::Index> predict_all(const Eigen::Ref<const Eigen::MatrixXd>& points) const;

  const kmeans_options& options() const { return options_; }
  int k() const { return options_.k; }
  Eigen::Index dim() const { return state_.centres.cols(); }
  /// The decay factor a in use (from half_life when set).
  double decay() const { return decay_; }
  const Eigen::MatrixXd& centres() const { return state_.centres; }
  const Eigen::VectorXd& weights() const { return state_.weights; }
  std::uint64_t version() const { return state_.version; }
  const kmeans_state& state() const { return state_; }

  /// {"model": "streaming_kmeans", "format": 1, "version": n, "centres": [[hex, ...], ...],
  /// "weights": [hex, ...]}, doubles as hex_double strings.
  nlohmann::json to_json() const;
  /// Replaces the state with one from to_json (numbers are accepted for doubles too). The k and
  /// dimension must match this model's. On failure the model is unchanged.
  [[nodiscard]] state_status from_json(const nlohmann::json& state);

  /// Replaces `out` with the binary state: header, u64 version, u64 k, u64 dim, the centres row
  /// by row, the weights, checksum (see ml/model_json.hpp).
  void save_state(std::string& out) const;
  /// Replaces the state with one from save_state. On failure the model is unchanged.
  [[nodiscard]] state_status load_state(std::string_view bytes);

 private:
  void check_point(const Eigen::Ref<const Eigen::VectorXd>& point, const char* context) const;
  void check_points(const Eigen::Ref<const Eigen::MatrixXd>& points) const;
  void check_state(const kmeans_state& s) const;
  void split_dying_cluster(kmeans_update_report& report);

  kmeans_options options_;
  double decay_;
  kmeans_state state_;
};

}  // namespace sluice::ml
