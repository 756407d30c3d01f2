// The portable vector level of the soft Bellman sweep (sweep_kernel.h): GCC/Clang vector
// extensions, two doubles per vector (SSE2 on x86-64).
#include "sweep_kernel.h"

#if defined(__clang__)
#pragma clang fp contract(off)
#endif

namespace cai::sweep {

#ifdef CAI_FAST_SOFT_MAX

template <Backup kBackup>
void BackupStatesPortable(const BackupKernel& k, int begin, int end, double& residual) {
  if (k.num_actions == 4) {
    BackupStatesSoftN<kBackup, 2, 4>(k, begin, end, residual);
  } else {
    BackupStatesSoftN<kBackup, 2, 0>(k, begin, end, residual);
  }
}

template void BackupStatesPortable<Backup::kVariational>(const BackupKernel&, int, int, double&);
template void BackupStatesPortable<Backup::kExact>(const BackupKernel&, int, int, double&);

#endif  // CAI_FAST_SOFT_MAX

}  // namespace cai::sweep
