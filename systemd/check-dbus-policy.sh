#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Checks that the D-Bus policy is well-formed XML, and valid against the
# busconfig DTD when a local copy exists. Exit 77 (skipped) without xmllint.
# Usage: check-dbus-policy.sh POLICY
set -eu
policy=$1

command -v xmllint >/dev/null 2>&1 || { echo "no xmllint (libxml2-utils)"; exit 77; }
xmllint --noout --nonet "$policy"
for dtd in /usr/share/xml/dbus-1/busconfig.dtd /usr/share/dbus-1/busconfig.dtd; do
	if [ -r "$dtd" ]; then
		xmllint --noout --nonet --dtdvalid "$dtd" "$policy"
		break
	fi
done
echo "xmllint: $(basename "$policy") OK"
