"""The shared personal-data detector (ingest/pii.py)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ingest.pii import CATEGORIES, PiiMatch, classification_for, detect_pii
from ingest.records import Classification


def category(name: str, **kwargs) -> str | None:
    found = detect_pii(name, **kwargs)
    return found.category if found else None


# -- names -----------------------------------------------------------------------------------

POSITIVE = [
    ("email", "email"),
    ("emailAddress", "email"),
    ("EMAIL_ADDR", "email"),
    ("e-mail", "email"),
    ("billing_email", "email"),
    ("phone_number", "phone"),
    ("msisdn", "phone"),
    ("mobile_phone", "phone"),
    ("phone_no", "phone"),
    ("first_name", "name"),
    ("lastName", "name"),
    ("surname", "name"),
    ("given_name", "name"),
    ("full_name", "name"),
    ("firstname", "name"),
    ("customer_name", "name"),
    ("recipient_name", "name"),
    ("username", "username"),
    ("street", "address"),
    ("addressLine1", "address"),
    ("zip", "address"),
    ("postcode", "address"),
    ("postalCode", "address"),
    ("shipping_address", "address"),
    ("dob", "date_of_birth"),
    ("birthDate", "date_of_birth"),
    ("date_of_birth", "date_of_birth"),
    ("dateofbirth", "date_of_birth"),
    ("ssn", "national_id"),
    ("nin", "national_id"),
    ("national_id", "national_id"),
    ("passport_number", "national_id"),
    ("tax_id", "national_id"),
    ("iban", "financial_account"),
    ("account_number", "financial_account"),
    ("card_number", "payment_card"),
    ("pan", "payment_card"),
    ("cvv", "payment_card"),
    ("ip", "ip_address"),
    ("ip_address", "ip_address"),
    ("client_ip", "ip_address"),
    ("last_login_ip", "ip_address"),
    ("remote_addr", "ip_address"),
    ("device_id", "device_id"),
    ("idfa", "device_id"),
    ("gaid", "device_id"),
    ("imei", "device_id"),
    ("lat", "geolocation"),
    ("lng", "geolocation"),
    ("latitude", "geolocation"),
    ("longitude", "geolocation"),
    ("password", "credentials"),
    ("api_key", "credentials"),
    ("gender", "demographic"),
    ("place_of_birth", "demographic"),
    ("salary", "salary"),
]


@pytest.mark.parametrize(("name", "expected"), POSITIVE)
def test_personal_names_are_detected(name: str, expected: str) -> None:
    assert category(name) == expected


NEGATIVE = [
    "email_sent_at",
    "email_count",
    "num_emails",
    "is_email_verified",  # a flag about an email is not the email
    "email_template",
    "email_domain",
    "phone_type",
    "phone_country_code",
    "name",  # whose name? not said
    "product_name",
    "companyName",
    "campaign_name",
    "file_name",
    "country",
    "city",  # a city alone is a place, not a person's address
    "ip_protocol",
    "ip_version",
    "card_type",
    "credit_card_type",
    "card_number_last4",
    "account_status",
    "account_id",
    "zip_file",
    "address_id",
    "created_at",
    "customer_id",
    "bic",
    "secret_name",
    "health_check",
    "membership",
    "lineage",
    "",
    "[]",
]


@pytest.mark.parametrize("name", NEGATIVE)
def test_lookalikes_are_not_personal(name: str) -> None:
    assert detect_pii(name) is None


@pytest.mark.parametrize("name", ["email", "phone_number", "first_name", "e-mail"])
def test_whole_name_match_is_0_9(name: str) -> None:
    found = detect_pii(name)
    assert found is not None
    assert (found.confidence, found.evidence.startswith("name matches")) == (0.9, True)


def test_phrase_inside_a_longer_name_is_0_75() -> None:
    assert detect_pii("billing_email") == PiiMatch("email", 0.75, "name contains 'email'")


def test_evidence_shows_the_words_matched() -> None:
    assert detect_pii("EMAIL_ADDR").evidence == "name matches 'email address'"
    assert detect_pii("passport_no").evidence == "name matches 'passport number'"


# -- paths and context -----------------------------------------------------------------------

PATHS = [
    ("customer.email", "email"),
    ("Order.customer.emailAddress", "email"),
    ("items[].shipping_address.city", "address"),
    ("billing_address.city", "address"),
    ("customer.name", "name"),
    ("contact.full_name", "name"),
    ("customer.name.first", "name"),
    ("customer.mobile", "phone"),
    ("card.number", "payment_card"),
    ("bank_account.number", "financial_account"),
    ("user.location", "geolocation"),
    ("product.name", None),
    ("company.name", None),
    ("store.address", None),  # a business's address
    ("warehouse.latitude", None),
    ("order.state", None),
    ("customer.state", None),  # "state" is an address part only under an address
    ("shipping_address.state", "address"),
    ("address.country", None),
]


@pytest.mark.parametrize(("path", "expected"), PATHS)
def test_parent_segments_say_whose_field_it_is(path: str, expected: str | None) -> None:
    assert category(path) == expected


def test_context_only_match_is_0_6() -> None:
    found = detect_pii("items[].shipping_address.city")
    assert found == PiiMatch("address", 0.6, "name matches 'city' under 'shipping_address'")


def test_qualifier_in_the_same_name_is_0_75() -> None:
    found = detect_pii("customer_name")
    assert found == PiiMatch("name", 0.75, "name contains 'name' with 'customer'")


def test_dataset_context_says_whose_column_it_is() -> None:
    assert detect_pii("name", context="crm.customers") == PiiMatch(
        "name", 0.6, "name matches 'name' in context 'crm.customers'"
    )
    assert detect_pii("name", context="products") is None


def test_description_can_say_whose_field_it_is() -> None:
    found = detect_pii("name", description="Full name of the customer.")
    assert found == PiiMatch("name", 0.6, "name matches 'name', description mentions 'customer'")
    assert detect_pii("name", description="Name of the product.") is None


def test_description_never_takes_a_strong_match_away() -> None:
    assert category("street", description="Street of the warehouse") == "address"


# -- types and formats -----------------------------------------------------------------------

FORMATS = [
    ("contact", "email", PiiMatch("email", 0.95, "format: email")),
    ("origin", "ipv4", PiiMatch("ip_address", 0.95, "format: ipv4")),
    ("origin", "ipv6", PiiMatch("ip_address", 0.95, "format: ipv6")),
    ("client_secret", "password", PiiMatch("credentials", 0.95, "format: password")),
    (
        "birthdate",
        "date",
        PiiMatch("date_of_birth", 0.95, "format: date, name matches 'birth date'"),
    ),
    (
        "born",
        "date-time",
        PiiMatch("date_of_birth", 0.95, "format: date-time, name contains 'born'"),
    ),
    ("created", "date", None),  # a date alone is not a birth date
    ("email_sent_at", "date-time", None),
    ("website", "uri", None),
]


@pytest.mark.parametrize(("name", "fmt", "expected"), FORMATS)
def test_openapi_formats(name: str, fmt: str, expected: PiiMatch | None) -> None:
    assert detect_pii(name, type="string", format=fmt) == expected


@pytest.mark.parametrize(("name", "type_"), [("email", "boolean"), ("phone", "bool")])
def test_a_boolean_holds_no_personal_data(name: str, type_: str) -> None:
    assert detect_pii(name, type=type_) is None


def test_a_number_cannot_be_an_email_or_a_name() -> None:
    assert detect_pii("email", type="integer") is None
    assert category("zip", type="int") == "address"


def test_a_date_or_timestamp_column_can_only_be_a_birth_date() -> None:
    assert detect_pii("email", type="timestamp with time zone") is None
    assert category("dob", type="DATE") == "date_of_birth"
    assert detect_pii("born", type="timestamp") == PiiMatch(
        "date_of_birth", 0.75, "name contains 'born', type timestamp"
    )


# -- explicit markings -----------------------------------------------------------------------


def test_explicit_true_takes_the_category_from_the_name() -> None:
    assert detect_pii("email", explicit=True) == PiiMatch("email", 1.0, "x-pii: true")


def test_explicit_true_without_a_detectable_name_is_personal() -> None:
    assert detect_pii("lead_score", explicit=True) == PiiMatch("personal", 1.0, "x-pii: true")


@pytest.mark.parametrize("value", [False, "false", "no", "None"])
def test_explicit_false_is_not_personal(value: object) -> None:
    assert detect_pii("email", format="email", explicit=value) is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [("email", "email"), ("Date-Of-Birth", "date_of_birth"), ("bank_account", "financial_account")],
)
def test_explicit_category_wins(value: str, expected: str) -> None:
    assert detect_pii("notes", explicit=value) == PiiMatch(expected, 1.0, f"x-pii: {value}")


def test_explicit_unknown_category_is_personal() -> None:
    assert category("notes", explicit="loyalty profile") == "personal"


@pytest.mark.parametrize("value", [None, "", 1, ["email"], {"a": 1}])
def test_other_explicit_values_mark_nothing(value: object) -> None:
    assert category("email", explicit=value) == "email"
    assert detect_pii("notes", explicit=value) is None


# -- classification --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("category_", "expected"),
    [
        ("email", Classification.CONFIDENTIAL),
        ("address", Classification.CONFIDENTIAL),
        ("personal", Classification.CONFIDENTIAL),
        ("national_id", Classification.RESTRICTED),
        ("payment_card", Classification.RESTRICTED),
        ("financial_account", Classification.RESTRICTED),
        ("credentials", Classification.RESTRICTED),
        ("date_of_birth", Classification.RESTRICTED),
        ("bank_account", Classification.RESTRICTED),  # synthetic data's word for it
    ],
)
def test_classification_for(category_: str, expected: Classification) -> None:
    assert classification_for(category_) == expected


def test_every_category_has_a_classification() -> None:
    values = {str(c) for c in Classification}
    assert all(classification_for(c) in values for c in CATEGORIES)


# -- properties ------------------------------------------------------------------------------


@given(
    st.text(),
    st.one_of(st.none(), st.text()),
    st.one_of(st.none(), st.text()),
    st.one_of(st.none(), st.text()),
    st.one_of(st.none(), st.text()),
)
def test_any_text_gives_none_or_a_valid_match(name, type_, fmt, description, context) -> None:
    found = detect_pii(name, type=type_, format=fmt, description=description, context=context)
    assert found is None or (found.category in CATEGORIES and 0 < found.confidence <= 1)


@given(st.text(), st.one_of(st.none(), st.sampled_from(["email", "ipv4", "date"])))
def test_explicit_false_always_gives_none(name: str, fmt: str | None) -> None:
    assert detect_pii(name, format=fmt, explicit=False) is None


DETECTED = [
    ["email", "address"],
    ["ip", "address"],
    ["first", "name"],
    ["date", "of", "birth"],
    ["customer", "email"],
    ["customer", "name"],
    ["billing", "address", "line"],
    ["passport", "number"],
    ["device", "id"],
    ["card", "number"],
    ["client", "ip"],
    ["postal", "code"],
]
STYLES = {
    "snake": lambda w: "_".join(w),
    "upper": lambda w: "_".join(w).upper(),
    "kebab": lambda w: "-".join(w).upper(),
    "camel": lambda w: w[0] + "".join(p.capitalize() for p in w[1:]),
    "pascal": lambda w: "".join(p.capitalize() for p in w),
    "words": lambda w: " ".join(p.capitalize() for p in w),
    "joined": lambda w: "".join(w).upper(),
}


@given(st.sampled_from(DETECTED), st.sampled_from(sorted(STYLES)))
def test_case_and_separators_do_not_change_the_category(words: list[str], style: str) -> None:
    assert category(STYLES[style](words)) == category("_".join(words)) is not None
