-- The public programme directory: organisations and the programmes they run.
-- Owned by koppel_owner (migrations run as it); the server's koppel_app role may only read.
-- None of these tables holds data about a person.

CREATE TABLE organisations (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    slug text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9][a-z0-9-]*$'),
    name text NOT NULL CHECK (length(trim(name)) > 0),
    -- One organisation can refer, operate programmes and fund at once.
    kinds text[] NOT NULL CHECK (cardinality(kinds) > 0 AND kinds <@ ARRAY['referrer', 'operator', 'funder']),
    country text NOT NULL DEFAULT 'NL' CHECK (country ~ '^[A-Z]{2}$'),
    website text,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE programmes (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    slug text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9][a-z0-9-]*$'),
    name text NOT NULL CHECK (length(trim(name)) > 0),
    operator_id uuid NOT NULL REFERENCES organisations (id),
    status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'paused', 'closed')),
    description_nl text NOT NULL,
    description_en text,
    eligibility_nl text,
    eligibility_en text,
    application_process_nl text,
    application_process_en text,
    minimum_age integer CHECK (minimum_age BETWEEN 0 AND 120),
    maximum_age integer CHECK (maximum_age BETWEEN 0 AND 120),
    target_groups text[] NOT NULL CHECK (
        target_groups <@ ARRAY['human_trafficking', 'domestic_violence', 'leaving_prostitution',
                               'asylum_seekers', 'status_holders', 'social_isolation']),
    languages text[] NOT NULL DEFAULT ARRAY['nl'] CHECK (cardinality(languages) > 0),
    typical_duration_months integer CHECK (typical_duration_months > 0),
    -- Places in total; places in use are derived from referrals, never typed in.
    places_total integer CHECK (places_total >= 0),
    website text,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CHECK (minimum_age IS NULL OR maximum_age IS NULL OR minimum_age <= maximum_age)
);

CREATE INDEX programmes_operator_idx ON programmes (operator_id);

CREATE TABLE programme_service_areas (
    programme_id uuid NOT NULL REFERENCES programmes (id) ON DELETE CASCADE,
    position integer NOT NULL,
    name text NOT NULL CHECK (length(trim(name)) > 0),
    extent text NOT NULL CHECK (extent IN ('municipality', 'region', 'country')),
    PRIMARY KEY (programme_id, position)
);

CREATE TABLE programme_funders (
    programme_id uuid NOT NULL REFERENCES programmes (id) ON DELETE CASCADE,
    funder_id uuid NOT NULL REFERENCES organisations (id),
    PRIMARY KEY (programme_id, funder_id)
);

CREATE INDEX programme_funders_funder_idx ON programme_funders (funder_id);

GRANT SELECT ON organisations, programmes, programme_service_areas, programme_funders TO koppel_app;
