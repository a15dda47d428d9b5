// Every CSGIS-Net training loss (namespace csgis::losses); link csgis_losses.
#pragma once
#include "losses/contrastive.h"
#include "losses/dtv.h"
#include "losses/edge_bce.h"
#include "losses/recon.h"
#include "losses/seg_ce.h"
#include "losses/total.h"
