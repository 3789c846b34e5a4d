/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The pure parts of the libvirt registrar: finding an mdev hostdev in domain XML. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "libvirt.h"
#include "macro.h"

#define UUID "c2177883-f1bb-47f0-914d-32a22e3a8804"

/* As libvirt formats it, with a second, unrelated hostdev and one of another type. */
static const char domain_xml[] =
        "<domain type='kvm'>\n"
        "  <name>vm1</name>\n"
        "  <devices>\n"
        "    <hostdev mode='subsystem' type='mdev' managed='no' model='vfio-pci' display='off'>\n"
        "      <source>\n"
        "        <address uuid='" UUID "'/>\n"
        "      </source>\n"
        "      <address type='pci' domain='0x0000' bus='0x00' slot='0x03' function='0x0'/>\n"
        "    </hostdev>\n"
        "    <hostdev mode='subsystem' type='mdev' model='vfio-pci'>\n"
        "      <source><address uuid='11111111-2222-4333-8444-555555555555'/></source>\n"
        "    </hostdev>\n"
        "    <hostdev mode='subsystem' type='pci' managed='yes'>\n"
        "      <source><address domain='0x0000' bus='0x06' slot='0x00' function='0x0'/></source>\n"
        "    </hostdev>\n"
        "  </devices>\n"
        "</domain>\n";

static void test_found(void **state) {
        IdxdUuid u, other, absent;

        assert_int_equal(idxd_uuid_parse(UUID, &u), 0);
        assert_int_equal(idxd_uuid_parse("11111111-2222-4333-8444-555555555555", &other), 0);
        assert_int_equal(idxd_uuid_parse("99999999-2222-4333-8444-555555555555", &absent), 0);
        assert_int_equal(idxd_libvirt_xml_count_mdev(domain_xml, &u), 1);
        assert_int_equal(idxd_libvirt_xml_count_mdev(domain_xml, &other), 1);
        assert_int_equal(idxd_libvirt_xml_count_mdev(domain_xml, &absent), 0);
}

static void test_case_and_duplicates(void **state) {
        static const char xml[] =
                "<domain><devices>"
                "<hostdev type='mdev'><source><address uuid='C2177883-F1BB-47F0-914D-32A22E3A8804'/></source></hostdev>"
                "<hostdev type='mdev'><source><address uuid='" UUID "'/></source></hostdev>"
                "</devices></domain>";
        IdxdUuid u;

        assert_int_equal(idxd_uuid_parse(UUID, &u), 0);
        assert_int_equal(idxd_libvirt_xml_count_mdev(xml, &u), 2);
}

/* Only /domain/devices/hostdev[@type='mdev']/source/address counts. */
static void test_elsewhere_ignored(void **state) {
        static const char xml[] =
                "<domain><metadata><hostdev type='mdev'><source><address uuid='" UUID "'/></source></hostdev></metadata>"
                "<devices><hostdev type='pci'><source><address uuid='" UUID "'/></source></hostdev>"
                "<hostdev type='mdev'><address uuid='" UUID "'/></hostdev>"
                "<hostdev type='mdev'><source><address uuid='not-a-uuid'/></source></hostdev>"
                "</devices></domain>";
        IdxdUuid u;

        assert_int_equal(idxd_uuid_parse(UUID, &u), 0);
        assert_int_equal(idxd_libvirt_xml_count_mdev(xml, &u), 0);
}

static void test_bad_xml(void **state) {
        IdxdUuid u;

        assert_int_equal(idxd_uuid_parse(UUID, &u), 0);
        assert_int_equal(idxd_libvirt_xml_count_mdev("", &u), -EBADMSG);
        assert_int_equal(idxd_libvirt_xml_count_mdev("<domain><devices>", &u), -EBADMSG);
        assert_int_equal(idxd_libvirt_xml_count_mdev("<network/>", &u), -EBADMSG);
        assert_int_equal(idxd_libvirt_xml_count_mdev("<!DOCTYPE x SYSTEM 'http://example.com/x.dtd'><domain/>", &u), 0);
}

/* What idxdd attaches is what it finds again. */
static void test_hostdev_round_trip(void **state) {
        _cleanup_free_ char *hostdev = NULL, *xml = NULL;
        IdxdUuid u;

        assert_int_equal(idxd_uuid_parse(UUID, &u), 0);
        assert_int_equal(idxd_libvirt_hostdev_xml(&u, &hostdev), 0);
        assert_non_null(strstr(hostdev, "type='mdev'"));
        assert_non_null(strstr(hostdev, "model='vfio-pci'"));
        assert_non_null(asprintf(&xml, "<domain><devices>%s</devices></domain>", hostdev) > 0 ? xml : NULL);
        assert_int_equal(idxd_libvirt_xml_count_mdev(xml, &u), 1);
}

static void test_names(void **state) {
        assert_string_equal(idxd_registration_to_string(IDXD_REGISTRATION_PENDING), "pending");
        assert_string_equal(idxd_registration_to_string(IDXD_REGISTRATION_REGISTERED), "registered");
        assert_string_equal(idxd_libvirt_state_to_string(IDXD_LIBVIRT_CONNECTED), "connected");
        assert_string_equal(idxd_domain_event_to_string(IDXD_DOMAIN_UNDEFINED), "undefined");
        assert_null(idxd_registration_to_string(_IDXD_REGISTRATION_MAX));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_found),
                cmocka_unit_test(test_case_and_duplicates),
                cmocka_unit_test(test_elsewhere_ignored),
                cmocka_unit_test(test_bad_xml),
                cmocka_unit_test(test_hostdev_round_trip),
                cmocka_unit_test(test_names),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
