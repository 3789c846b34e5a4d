/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The solver's input taken from the daemon's model (model.h). */
#pragma once

#include "model.h"
#include "solver.h"

typedef struct IdxdSolverSnapshot {
        IdxdSolverInput input;
        IdxdSolverParent *parents;
        IdxdSolverType *types;
        IdxdSolverMdev *mdevs;
} IdxdSolverSnapshot;

/*
 * Fills ret from m. Strings are borrowed from the model: use the snapshot
 * before the model changes. A type's IMS need per instance is the
 * ims_vectors of an existing mdev of that type on that parent, else 0
 * (unknown; the solver counts 1).
 */
int idxd_solver_snapshot_from_model(const Model *m, unsigned ims_reserve, IdxdSolverSnapshot *ret);
void idxd_solver_snapshot_done(IdxdSolverSnapshot *s);
