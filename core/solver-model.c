/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "solver-model.h"

void idxd_solver_snapshot_done(IdxdSolverSnapshot *s) {
        free(s->parents);
        free(s->types);
        free(s->mdevs);
        *s = (IdxdSolverSnapshot) {};
}

int idxd_solver_snapshot_from_model(const Model *m, unsigned ims_reserve, IdxdSolverSnapshot *ret) {
        IdxdSolverSnapshot s = {};
        size_t n_types = 0, t0 = 0;

        for (size_t j = 0; j < m->n_parents; j++)
                n_types += m->parents[j]->n_types;

        s.parents = calloc(m->n_parents + 1, sizeof(IdxdSolverParent));
        s.types = calloc(n_types + 1, sizeof(IdxdSolverType));
        s.mdevs = calloc(m->n_mdevs + 1, sizeof(IdxdSolverMdev));
        if (!s.parents || !s.types || !s.mdevs) {
                idxd_solver_snapshot_done(&s);
                return -ENOMEM;
        }

        for (size_t j = 0; j < m->n_parents; j++) {
                const Parent *p = m->parents[j];

                for (size_t t = 0; t < p->n_types; t++)
                        s.types[t0 + t] = (IdxdSolverType) {
                                .id = p->types[t].id,
                                .available_instances = p->types[t].available_instances,
                        };
                s.parents[j] = (IdxdSolverParent) {
                        .name = p->name,
                        .driver = p->driver,
                        .numa_node = p->numa_node,
                        .has_ims = p->has_ims,
                        .ims_available = p->ims_available,
                        .types = s.types + t0,
                        .n_types = p->n_types,
                };
                t0 += p->n_types;
        }

        for (size_t i = 0; i < m->n_mdevs; i++) {
                const Mdev *d = m->mdevs[i];

                s.mdevs[i] = (IdxdSolverMdev) { .uuid = d->uuid, .parent = d->parent, .type = d->type };
                if (!d->has_ims_vectors || !d->parent || !d->type)
                        continue;
                /* Learn the type's IMS need from an mdev that has one. */
                for (size_t j = 0; j < m->n_parents; j++) {
                        IdxdSolverParent *p = &s.parents[j];

                        if (strcmp(p->name, d->parent) != 0)
                                continue;
                        for (size_t t = 0; t < p->n_types; t++) {
                                IdxdSolverType *ty = (IdxdSolverType *) &p->types[t];

                                if (strcmp(ty->id, d->type) == 0 && ty->ims_per_instance == 0)
                                        ty->ims_per_instance = d->ims_vectors;
                        }
                        break;
                }
        }

        s.input = (IdxdSolverInput) {
                .parents = s.parents,
                .n_parents = m->n_parents,
                .mdevs = s.mdevs,
                .n_mdevs = m->n_mdevs,
                .ims_reserve = ims_reserve,
        };
        *ret = s;
        return 0;
}
