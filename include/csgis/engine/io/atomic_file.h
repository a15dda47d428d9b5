// Crash-safe file replacement: data goes to a temporary file next to the target, is fsync'ed, and
// is then rename()d over the target (atomic on POSIX file systems), so a reader — or a crash at
// any moment — sees either the complete old file or the complete new one, never a truncated mix.
// The temporary lives in the target's own directory because rename() cannot cross file systems.
#pragma once
#include <cstddef>
#include <string>

#pragma GCC visibility push(default)  // the public API: exported from a shared libcsgis

namespace csgis {

// Streaming form, for files too large (or too scattered) to assemble in one buffer first:
//   AtomicFileWriter w(path); w.write(a, n); w.write(b, m); w.commit();
// Destroying the writer without commit() (e.g. an exception unwinding) removes the temporary and
// leaves the target untouched. Every failure throws csgis::Error naming the target and strerror.
class AtomicFileWriter {
 public:
  explicit AtomicFileWriter(const std::string& path);  // creates "<path>.tmp.<pid>.<n>"
  ~AtomicFileWriter();
  AtomicFileWriter(const AtomicFileWriter&) = delete;
  AtomicFileWriter& operator=(const AtomicFileWriter&) = delete;

  void write(const void* data, size_t n);
  // fsync the data, rename over the target, fsync the directory (so the rename itself survives a
  // power cut). After a successful commit the writer is spent.
  void commit();
  // Drops the temporary file; the target is untouched. Safe to call more than once; never throws.
  void abort() noexcept;

  const std::string& path() const { return path_; }
  const std::string& temp_path() const { return tmp_; }
  size_t bytes_written() const { return written_; }

 private:
  [[noreturn]] void fail(const char* what, int err);  // aborts, then throws

  std::string path_, tmp_;
  int fd_ = -1;
  size_t written_ = 0;
  bool done_ = false;  // committed or aborted
};

// One-shot form of the above.
void write_file_atomic(const std::string& path, const void* data, size_t n);

}  // namespace csgis
#pragma GCC visibility pop
