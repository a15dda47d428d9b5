// Read-only access to the float datasets of an HDF5 file through libhdf5 (Debian libhdf5-dev), for
// importing Keras `.weights.h5` files. Every failure is a csgis::Error naming the file and the
// dataset; opening a file switches libhdf5's automatic error-stack printing off for the process
// (these messages replace it).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace csgis::tools {

struct Hdf5Array {
  std::vector<int64_t> shape;  // row-major, as stored
  std::vector<float> values;
};

class Hdf5File {
 public:
  // Throws when `path` is missing or not an HDF5 file.
  explicit Hdf5File(const std::string& path);
  ~Hdf5File();
  Hdf5File(const Hdf5File&) = delete;
  Hdf5File& operator=(const Hdf5File&) = delete;

  // Whether `object` ("block1/layers/conv2d/vars/0") exists as a dataset.
  bool has_dataset(const std::string& object) const;
  // Reads a floating-point dataset, converted to float32. Throws naming the dataset when it is
  // absent, not floating point, or larger than `max_elements`.
  Hdf5Array read_floats(const std::string& object, int64_t max_elements = int64_t(1) << 28) const;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  int64_t file_ = -1;  // hid_t
};

}  // namespace csgis::tools
