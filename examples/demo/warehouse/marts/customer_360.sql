-- Customer 360 (INT-041, nightly at 03:00). One row per customer e-mail address.
--
-- Known problem (ISS-004): the three sources spell e-mail addresses differently. CRM
-- addresses are lower-cased, support-desk addresses only trimmed, web-analytics addresses
-- taken as they come, so "Ann@Example.com" and "ann@example.com" become two customers.

CREATE TEMPORARY TABLE all_emails AS
SELECT LOWER(c.email) AS email FROM staging.stg_crm_contacts AS c
UNION
SELECT TRIM(t.requester_email) FROM staging.stg_support_tickets AS t
UNION
SELECT s.user_email FROM staging.stg_web_sessions AS s;

TRUNCATE TABLE marts.customer_360;

INSERT INTO marts.customer_360
    (email, full_name, phone, ticket_count, session_count, lifetime_value, segment)
WITH orders_by_email AS (
    SELECT o.email, SUM(CAST(o.total_amount AS DECIMAL(10, 2))) AS lifetime_value
    FROM staging.stg_orders AS o
    GROUP BY o.email
)
SELECT
    e.email,
    CONCAT(c.first_name, ' ', c.last_name),
    c.phone,
    (SELECT COUNT(t.ticket_id) FROM staging.stg_support_tickets AS t
      WHERE TRIM(t.requester_email) = e.email),
    (SELECT COUNT(DISTINCT s.session_id) FROM staging.stg_web_sessions AS s
      WHERE s.user_email = e.email),
    ob.lifetime_value,
    CASE WHEN ob.lifetime_value >= 1000 THEN 'vip'
         WHEN c.lead_score >= 70 THEN 'warm'
         ELSE 'standard' END
FROM all_emails AS e
LEFT JOIN staging.stg_crm_contacts AS c ON LOWER(c.email) = e.email
LEFT JOIN orders_by_email AS ob ON ob.email = e.email;
