-- Sales fact and product dimension (INT-042, nightly at 04:00).
--
-- Known problem (ISS-013): SKUs arrive from PIM in several spellings (case, trailing
-- spaces, lost leading zeros), so one product's sales split over several rows here.

INSERT INTO marts.dim_product (sku, category)
SELECT p.sku, p.category
FROM staging.stg_products AS p;

MERGE INTO marts.fct_sales AS f
USING (
    SELECT l.order_id, l.sku, l.quantity, l.quantity * l.unit_price AS revenue
    FROM staging.stg_order_lines AS l
    JOIN staging.stg_orders AS o ON o.order_id = l.order_id
    WHERE o.currency = 'EUR'
) AS n
ON f.order_id = n.order_id AND f.sku = n.sku
WHEN MATCHED THEN UPDATE SET quantity = n.quantity, revenue = n.revenue
WHEN NOT MATCHED THEN INSERT (order_id, sku, quantity, revenue)
    VALUES (n.order_id, n.sku, n.quantity, n.revenue);
