-- Coordinators and hub-admins change a programme's operational details through the server. The app role may
-- change exactly those columns, never the programme's identity (id, slug, name, operator).
GRANT UPDATE (status, places_total, minimum_age, maximum_age, target_groups, languages, typical_duration_months,
              description_nl, description_en, eligibility_nl, eligibility_en, application_process_nl,
              application_process_en, updated_at)
    ON programmes TO koppel_app;
GRANT INSERT, DELETE ON programme_service_areas, programme_funders TO koppel_app;
