// SPDX-License-Identifier: GPL-2.0-only
/*
 * Software Interrupt Message Store: a per-parent table of interrupt entries
 * with O(1) allocation (a stack of free indices), per-entry message, mask
 * and pending state, and eventfd delivery.
 */
#include <linux/eventfd.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/vmalloc.h>

#include "ims.h"

#define IMS_ALLOCATED	BIT(0)
#define IMS_MASKED	BIT(1)
#define IMS_PENDING	BIT(2)

struct ims_entry {
	u64 addr;
	u32 data;
	u32 state;
	struct eventfd_ctx *trigger;
};

struct ims_table {
	spinlock_t lock;	/* entries, free stack */
	unsigned int size;
	unsigned int nr_free;
	u32 *free_stack;	/* free_stack[0..nr_free) are free indices */
	struct ims_entry *entries;
};

/**
 * ims_table_create() - allocate an IMS table
 * @size: number of entries, 1..IMS_SIZE_MAX
 *
 * Return: the table, or an ERR_PTR() on bad size or allocation failure.
 */
struct ims_table *ims_table_create(unsigned int size)
{
	struct ims_table *table;
	unsigned int i;

	if (!size || size > IMS_SIZE_MAX)
		return ERR_PTR(-EINVAL);

	table = kzalloc(sizeof(*table), GFP_KERNEL);
	if (!table)
		return ERR_PTR(-ENOMEM);
	table->entries = vcalloc(size, sizeof(*table->entries));
	table->free_stack = vmalloc_array(size, sizeof(*table->free_stack));
	if (!table->entries || !table->free_stack) {
		vfree(table->entries);
		vfree(table->free_stack);
		kfree(table);
		return ERR_PTR(-ENOMEM);
	}
	spin_lock_init(&table->lock);
	table->size = size;
	/* Pop order hands out low indices first. */
	for (i = 0; i < size; i++)
		table->free_stack[i] = size - 1 - i;
	table->nr_free = size;
	return table;
}

/**
 * ims_table_destroy() - free an IMS table
 * @table: table whose entries have all been released
 *
 * Entries still allocated are a bug of the caller; they are reported and
 * their triggers released so nothing leaks.
 */
void ims_table_destroy(struct ims_table *table)
{
	unsigned int i;

	if (!table)
		return;
	if (table->nr_free != table->size)
		pr_err("idxd_mdev: IMS table destroyed with %u entries in use\n",
		       table->size - table->nr_free);
	for (i = 0; i < table->size; i++)
		if (table->entries[i].trigger)
			eventfd_ctx_put(table->entries[i].trigger);
	vfree(table->entries);
	vfree(table->free_stack);
	kfree(table);
}

/**
 * ims_size() - number of entries in a table
 * @table: the table
 *
 * Return: the size given at creation.
 */
unsigned int ims_size(const struct ims_table *table)
{
	return table->size;
}

/**
 * ims_available() - number of free entries
 * @table: the table
 *
 * Return: entries that ims_alloc() can still hand out.
 */
unsigned int ims_available(struct ims_table *table)
{
	unsigned int nr;

	spin_lock(&table->lock);
	nr = table->nr_free;
	spin_unlock(&table->lock);
	return nr;
}

static void ims_entry_reset(struct ims_entry *entry, u32 state)
{
	entry->addr = 0;
	entry->data = 0;
	entry->state = state;
}

/* Caller holds the lock and has checked that an entry is free. */
static unsigned int ims_pop_locked(struct ims_table *table)
{
	unsigned int index = table->free_stack[--table->nr_free];

	/* VFIO users emulate the MSI-X table; an entry starts unmasked. */
	ims_entry_reset(&table->entries[index], IMS_ALLOCATED);
	return index;
}

/**
 * ims_alloc() - allocate one entry
 * @table: the table
 * @index: set to the allocated entry
 *
 * O(1). The entry starts unmasked, not pending, with an empty message and
 * no trigger.
 *
 * Return: 0, or -ENOSPC when the table is full.
 */
int ims_alloc(struct ims_table *table, unsigned int *index)
{
	return ims_alloc_many(table, 1, index);
}

/**
 * ims_alloc_many() - allocate several entries, all or nothing
 * @table: the table
 * @nr: number of entries
 * @index: array of @nr, filled with the allocated entries
 *
 * Return: 0, or -ENOSPC (and nothing allocated) when fewer than @nr are free.
 */
int ims_alloc_many(struct ims_table *table, unsigned int nr,
		   unsigned int *index)
{
	unsigned int i;

	spin_lock(&table->lock);
	if (nr > table->nr_free) {
		spin_unlock(&table->lock);
		return -ENOSPC;
	}
	for (i = 0; i < nr; i++)
		index[i] = ims_pop_locked(table);
	spin_unlock(&table->lock);
	return 0;
}

static struct ims_entry *ims_entry_get(struct ims_table *table,
				       unsigned int index)
{
	if (index >= table->size ||
	    !(table->entries[index].state & IMS_ALLOCATED))
		return NULL;
	return &table->entries[index];
}

/**
 * ims_free() - release an entry to the pool
 * @table: the table
 * @index: an entry returned by ims_alloc()
 *
 * Drops the entry's trigger. Releasing a free entry is reported and ignored.
 */
void ims_free(struct ims_table *table, unsigned int index)
{
	struct eventfd_ctx *trigger = NULL;
	struct ims_entry *entry;

	spin_lock(&table->lock);
	entry = ims_entry_get(table, index);
	if (entry) {
		trigger = entry->trigger;
		entry->trigger = NULL;
		ims_entry_reset(entry, 0);
		table->free_stack[table->nr_free++] = index;
	}
	spin_unlock(&table->lock);
	if (!entry)
		pr_err("idxd_mdev: IMS entry %u freed twice\n", index);
	if (trigger)
		eventfd_ctx_put(trigger);
}

/**
 * ims_write_msg() - store the MSI message of an entry
 * @table: the table
 * @index: allocated entry
 * @addr: message address
 * @data: message data
 */
void ims_write_msg(struct ims_table *table, unsigned int index,
		   u64 addr, u32 data)
{
	struct ims_entry *entry;

	spin_lock(&table->lock);
	entry = ims_entry_get(table, index);
	if (entry) {
		entry->addr = addr;
		entry->data = data;
	}
	spin_unlock(&table->lock);
}

/**
 * ims_read_msg() - read back the MSI message of an entry
 * @table: the table
 * @index: allocated entry
 * @addr: set to the message address (0 for a free entry)
 * @data: set to the message data (0 for a free entry)
 */
void ims_read_msg(struct ims_table *table, unsigned int index,
		  u64 *addr, u32 *data)
{
	struct ims_entry *entry;

	*addr = 0;
	*data = 0;
	spin_lock(&table->lock);
	entry = ims_entry_get(table, index);
	if (entry) {
		*addr = entry->addr;
		*data = entry->data;
	}
	spin_unlock(&table->lock);
}

/* Called with the lock held; eventfd_signal() only takes its own lock. */
static void ims_deliver_locked(struct ims_entry *entry)
{
	if (entry->state & IMS_MASKED) {
		entry->state |= IMS_PENDING;
		return;
	}
	entry->state &= ~IMS_PENDING;
	if (entry->trigger)
		eventfd_signal(entry->trigger, 1);
}

/**
 * ims_mask() - mask an entry; interrupts raised from now on stay pending
 * @table: the table
 * @index: allocated entry
 */
void ims_mask(struct ims_table *table, unsigned int index)
{
	struct ims_entry *entry;

	spin_lock(&table->lock);
	entry = ims_entry_get(table, index);
	if (entry)
		entry->state |= IMS_MASKED;
	spin_unlock(&table->lock);
}

/**
 * ims_unmask() - unmask an entry and deliver a pending interrupt
 * @table: the table
 * @index: allocated entry
 */
void ims_unmask(struct ims_table *table, unsigned int index)
{
	struct ims_entry *entry;

	spin_lock(&table->lock);
	entry = ims_entry_get(table, index);
	if (entry) {
		entry->state &= ~IMS_MASKED;
		if (entry->state & IMS_PENDING)
			ims_deliver_locked(entry);
	}
	spin_unlock(&table->lock);
}

static bool ims_test_state(struct ims_table *table, unsigned int index,
			   u32 bit)
{
	struct ims_entry *entry;
	bool set = false;

	spin_lock(&table->lock);
	entry = ims_entry_get(table, index);
	if (entry)
		set = entry->state & bit;
	spin_unlock(&table->lock);
	return set;
}

/**
 * ims_is_masked() - mask bit of an entry
 * @table: the table
 * @index: allocated entry
 *
 * Return: true if the entry is masked.
 */
bool ims_is_masked(struct ims_table *table, unsigned int index)
{
	return ims_test_state(table, index, IMS_MASKED);
}

/**
 * ims_is_pending() - pending bit of an entry
 * @table: the table
 * @index: allocated entry
 *
 * Return: true if an interrupt was raised while the entry was masked.
 */
bool ims_is_pending(struct ims_table *table, unsigned int index)
{
	return ims_test_state(table, index, IMS_PENDING);
}

/**
 * ims_set_trigger() - bind the delivery eventfd of an entry
 * @table: the table
 * @index: allocated entry
 * @trigger: eventfd, or NULL to unbind; the table takes over the reference
 *
 * Unbinding also clears the pending bit, as disabling a vector does.
 */
void ims_set_trigger(struct ims_table *table, unsigned int index,
		     struct eventfd_ctx *trigger)
{
	struct eventfd_ctx *old = trigger;
	struct ims_entry *entry;

	spin_lock(&table->lock);
	entry = ims_entry_get(table, index);
	if (entry) {
		old = entry->trigger;
		entry->trigger = trigger;
		if (!trigger)
			entry->state &= ~IMS_PENDING;
	}
	spin_unlock(&table->lock);
	if (old)
		eventfd_ctx_put(old);
}

/**
 * ims_fire() - raise the interrupt of an entry
 * @table: the table
 * @index: allocated entry
 *
 * Delivered at once when unmasked, else remembered as pending.
 */
void ims_fire(struct ims_table *table, unsigned int index)
{
	struct ims_entry *entry;

	spin_lock(&table->lock);
	entry = ims_entry_get(table, index);
	if (entry)
		ims_deliver_locked(entry);
	spin_unlock(&table->lock);
}
