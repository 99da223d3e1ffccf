-- Staging tables: the landing zone the integrations INT-035 to INT-040 load into.
-- Column lists here let the mart scripts' SELECT * expand to real columns.

CREATE TABLE staging.stg_crm_contacts (
    contact_id   VARCHAR(18) NOT NULL,
    email        VARCHAR(320),
    first_name   VARCHAR(100),
    last_name    VARCHAR(100),
    phone        VARCHAR(40),
    lead_score   INTEGER
);

CREATE TABLE staging.stg_orders (
    order_id      BIGINT NOT NULL,
    customer_id   BIGINT,
    email         VARCHAR(320),
    total_amount  VARCHAR(20),   -- arrives as text from CDC; cast in the marts
    currency      CHAR(3)
);

CREATE TABLE staging.stg_order_lines (
    order_id    BIGINT NOT NULL,
    sku         VARCHAR(40),
    quantity    INTEGER,
    unit_price  NUMERIC(10, 2)
);

CREATE TABLE staging.stg_products (
    sku       VARCHAR(40) NOT NULL,
    title     VARCHAR(200),
    category  VARCHAR(80),
    brand     VARCHAR(80)
);

CREATE TABLE staging.stg_support_tickets (
    ticket_id        BIGINT NOT NULL,
    requester_email  VARCHAR(320),
    created_at       TIMESTAMP
);

CREATE TABLE staging.stg_web_sessions (
    session_id  VARCHAR(64) NOT NULL,
    user_email  VARCHAR(320),
    page_views  INTEGER
);
