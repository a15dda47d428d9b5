#include "engine/io/atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>

#include "engine/error.h"

namespace csgis {

namespace {

// Directory holding `path`, for the final directory fsync.
std::string parent_dir(const std::string& path) {
  const auto slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

// The pid keeps concurrent processes apart; the counter keeps threads (or two writers for the
// same target) within one process apart.
std::atomic<unsigned> g_temp_counter{0};

}  // namespace

AtomicFileWriter::AtomicFileWriter(const std::string& path) : path_(path) {
  CSGIS_CHECK(!path.empty(), "atomic write: empty path");
  // O_EXCL so that we never write into (and later rename) a file somebody else is producing; a
  // stale temporary left by a crashed process whose pid was reused just makes us pick the next name.
  for (int attempt = 0; attempt < 100; ++attempt) {
    tmp_ = path + ".tmp." + std::to_string(::getpid()) + "." + std::to_string(g_temp_counter++);
    fd_ = ::open(tmp_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd_ >= 0) return;
    if (errno != EEXIST) break;
  }
  const int err = errno;
  done_ = true;  // nothing of ours exists to clean up
  CSGIS_FAIL("cannot write '", path_, "': creating temporary '", tmp_, "' failed: ", std::strerror(err));
}

AtomicFileWriter::~AtomicFileWriter() { abort(); }

void AtomicFileWriter::abort() noexcept {
  if (done_) return;
  done_ = true;
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  ::unlink(tmp_.c_str());
}

void AtomicFileWriter::fail(const char* what, int err) {
  abort();
  CSGIS_FAIL("cannot write '", path_, "': ", what, ": ", std::strerror(err));
}

void AtomicFileWriter::write(const void* data, size_t n) {
  CSGIS_CHECK(!done_, "atomic write of '", path_, "': write after commit/abort");
  const char* p = static_cast<const char*>(data);
  // write(2) may write less than asked (signals, large sizes): loop until everything is out.
  while (n > 0) {
    const size_t chunk = n < (size_t(1) << 30) ? n : (size_t(1) << 30);
    const ssize_t got = ::write(fd_, p, chunk);
    if (got < 0) {
      if (errno == EINTR) continue;
      fail("write failed", errno);
    }
    p += got;
    n -= size_t(got);
    written_ += size_t(got);
  }
}

void AtomicFileWriter::commit() {
  CSGIS_CHECK(!done_, "atomic write of '", path_, "': commit after commit/abort");
  // Data must be on disk before the rename makes it visible: otherwise a crash could leave the
  // new name pointing at an empty or partial file (the classic ext4 delayed-allocation failure).
  if (::fsync(fd_) != 0) fail("fsync failed", errno);
  const int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0) fail("close failed", errno);
  if (::rename(tmp_.c_str(), path_.c_str()) != 0) fail("rename failed", errno);
  done_ = true;  // the temporary is now the target: nothing left to remove
  // Persist the directory entry. Some file systems cannot fsync directories (EINVAL); the rename
  // has happened either way, so only real I/O errors are reported.
  const std::string dir = parent_dir(path_);
  const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) return;
  const int rc = ::fsync(dfd);
  const int err = errno;
  ::close(dfd);
  if (rc != 0 && err != EINVAL && err != ENOTSUP && err != EBADF)
    CSGIS_FAIL("cannot write '", path_, "': fsync of directory '", dir, "' failed: ", std::strerror(err));
}

void write_file_atomic(const std::string& path, const void* data, size_t n) {
  AtomicFileWriter w(path);
  w.write(data, n);
  w.commit();
}

}  // namespace csgis
