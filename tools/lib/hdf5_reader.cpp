#include "tools/lib/hdf5_reader.h"

#include <hdf5.h>

#include <algorithm>

#include "engine/error.h"

namespace csgis::tools {

namespace {

// Closes an HDF5 handle on every way out.
struct Handle {
  hid_t id;
  herr_t (*close)(hid_t);
  ~Handle() {
    if (id >= 0) close(id);
  }
};

// libhdf5 prints its error stack to stderr by default; our messages say what went wrong instead.
// (Process-wide: the driver is the only libhdf5 user of its process.)
void quiet_hdf5() { H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr); }

// H5Lexists fails on a path whose intermediate groups are missing: walk it one link at a time.
bool link_exists(hid_t file, const std::string& object) {
  size_t pos = 0;
  while (true) {
    const size_t slash = object.find('/', pos);
    const std::string prefix = object.substr(0, slash);
    if (prefix.empty() || H5Lexists(file, prefix.c_str(), H5P_DEFAULT) <= 0) return false;
    if (slash == std::string::npos) return true;
    pos = slash + 1;
  }
}

}  // namespace

Hdf5File::Hdf5File(const std::string& path) : path_(path) {
  quiet_hdf5();
  const htri_t is_hdf5 = H5Fis_hdf5(path.c_str());
  CSGIS_CHECK(is_hdf5 >= 0, "'", path, "': cannot read the file (missing or unreadable)");
  CSGIS_CHECK(is_hdf5 > 0, "'", path, "' is not an HDF5 file");
  file_ = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  CSGIS_CHECK(file_ >= 0, "'", path, "': libhdf5 cannot open it (damaged HDF5 file?)");
}

Hdf5File::~Hdf5File() {
  if (file_ >= 0) H5Fclose(hid_t(file_));
}

bool Hdf5File::has_dataset(const std::string& object) const {
  if (!link_exists(hid_t(file_), object)) return false;
  H5O_info_t info;
#if H5_VERSION_GE(1, 12, 0)
  if (H5Oget_info_by_name3(hid_t(file_), object.c_str(), &info, H5O_INFO_BASIC, H5P_DEFAULT) < 0) return false;
#else
  if (H5Oget_info_by_name(hid_t(file_), object.c_str(), &info, H5P_DEFAULT) < 0) return false;
#endif
  return info.type == H5O_TYPE_DATASET;
}

Hdf5Array Hdf5File::read_floats(const std::string& object, int64_t max_elements) const {
  CSGIS_CHECK(has_dataset(object), "'", path_, "': no dataset '", object, "'");
  Handle ds{H5Dopen2(hid_t(file_), object.c_str(), H5P_DEFAULT), H5Dclose};
  CSGIS_CHECK(ds.id >= 0, "'", path_, "': cannot open dataset '", object, "'");
  Handle type{H5Dget_type(ds.id), H5Tclose};
  CSGIS_CHECK(type.id >= 0 && H5Tget_class(type.id) == H5T_FLOAT, "'", path_, "': dataset '", object,
              "' is not floating point");
  Handle space{H5Dget_space(ds.id), H5Sclose};
  const int rank = space.id >= 0 ? H5Sget_simple_extent_ndims(space.id) : -1;
  CSGIS_CHECK(rank >= 0 && rank <= 8, "'", path_, "': dataset '", object, "' has an unsupported shape (rank ",
              rank, ")");
  hsize_t dims[8] = {};
  CSGIS_CHECK(H5Sget_simple_extent_dims(space.id, dims, nullptr) == rank, "'", path_, "': cannot read the shape of '",
              object, "' (damaged file?)");
  Hdf5Array out;
  int64_t n = 1;
  for (int d = 0; d < rank; ++d) {
    out.shape.push_back(int64_t(dims[d]));
    CSGIS_CHECK(dims[d] <= hsize_t(max_elements) && n <= max_elements / std::max<int64_t>(1, int64_t(dims[d])),
                "'", path_, "': dataset '", object, "' is larger than ", max_elements, " elements");
    n *= int64_t(dims[d]);
  }
  out.values.resize(size_t(n));
  if (n > 0)
    CSGIS_CHECK(H5Dread(ds.id, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, out.values.data()) >= 0, "'",
                path_, "': reading dataset '", object, "' failed (damaged file?)");
  return out;
}

}  // namespace csgis::tools
