-- Every municipality on the map, named areas, and funding agreements (issue 21, decision 0021).
--
-- Municipalities become reference data, keyed by their official code (CBS `GM0153`, NIS `21004`) and loaded from
-- data/reference by `koppel reference import`, not by migrations: next year's list is a data update. This migration
-- keeps the 18 municipalities 0003 wrote (now with their codes), so a database migrated but not yet imported still
-- works. A municipality that ceased keeps its code with the day it ended and its successor; referrals keep the code
-- they were filed with, and the statistics facts carry it on to the successor (`counts.roll_places`).

-- Regions a municipality lies in: country, province, COROP region, labour-market region, landsdeel (NL); region,
-- province, arrondissement (BE). One table, so a service area or named area can name any of them.
CREATE TABLE regions (
    code text PRIMARY KEY CHECK (code ~ '^[A-Z0-9]{2,12}$'),
    kind text NOT NULL CHECK (kind IN ('country', 'province', 'corop', 'labour_market', 'landsdeel', 'region', 'arrondissement')),
    name text NOT NULL CHECK (length(trim(name)) > 0),
    country_code text NOT NULL CHECK (country_code IN ('NL', 'BE'))
);
INSERT INTO regions (code, kind, name, country_code) VALUES ('NL', 'country', 'Nederland', 'NL'), ('BE', 'country', 'België', 'BE');

ALTER TABLE referrals DROP CONSTRAINT referrals_municipality_fkey;
ALTER TABLE municipalities DROP CONSTRAINT municipalities_pkey;
ALTER TABLE municipalities
    ADD COLUMN code text,
    ADD COLUMN country_code text,
    -- The day it came into being (a merger's new municipality), and the first day it no longer existed.
    ADD COLUMN valid_from date,
    ADD COLUMN ended_on date,
    ADD COLUMN successor text,
    -- Folded (lower case, no accents or punctuation, see `PlaceName.folded`): its own names, official and
    -- alternative, and the names of every region and named area it lies in. What service areas are matched against.
    ADD COLUMN names text[] NOT NULL DEFAULT '{}',
    ADD COLUMN places text[] NOT NULL DEFAULT '{}';
UPDATE municipalities m SET code = c.code, country_code = CASE m.country WHEN 'België' THEN 'BE' ELSE 'NL' END
FROM (VALUES ('Amsterdam', 'GM0363'), ('Den Haag', 'GM0518'), ('Delft', 'GM0503'), ('Zoetermeer', 'GM0637'),
             ('Rotterdam', 'GM0599'), ('Utrecht', 'GM0344'), ('Nijmegen', 'GM0268'), ('Arnhem', 'GM0202'),
             ('Enschede', 'GM0153'), ('Hengelo', 'GM0164'), ('Almelo', 'GM0141'), ('Groningen', 'GM0014'),
             ('Leeuwarden', 'GM0080'), ('Assen', 'GM0106'), ('Eindhoven', 'GM0772'), ('Mechelen', '12025'),
             ('Antwerpen', '11002'), ('Brussel', '21004')) AS c (name, code)
WHERE c.name = m.name;
-- Until the first import: their names and regions as 0003 had them, so eligibility keeps working.
UPDATE municipalities SET names = ARRAY[lower(name)], places = ARRAY[lower(region), lower(country)];
ALTER TABLE municipalities
    ALTER COLUMN code SET NOT NULL,
    ALTER COLUMN country_code SET NOT NULL,
    ADD PRIMARY KEY (code),
    ADD CHECK (code ~ '^(GM[0-9]{4}|[0-9]{5})$'),
    ADD CHECK (country_code IN ('NL', 'BE')),
    ADD CHECK (valid_from IS NULL OR ended_on IS NULL OR valid_from < ended_on),
    ADD CHECK ((successor IS NULL) OR (ended_on IS NOT NULL)),
    ADD FOREIGN KEY (successor) REFERENCES municipalities (code) DEFERRABLE INITIALLY DEFERRED;

-- Referrals name their municipality by code from now on.
UPDATE referrals r SET municipality = m.code FROM municipalities m WHERE m.name = r.municipality;
ALTER TABLE referrals ADD FOREIGN KEY (municipality) REFERENCES municipalities (code);

CREATE TABLE municipality_regions (
    municipality text NOT NULL REFERENCES municipalities (code) ON DELETE CASCADE,
    region text NOT NULL REFERENCES regions (code),
    PRIMARY KEY (municipality, region)
);
CREATE INDEX municipality_regions_region_idx ON municipality_regions (region);

-- Every name a municipality goes by (the official one too), and its folded form for lookups.
CREATE TABLE municipality_names (
    municipality text NOT NULL REFERENCES municipalities (code) ON DELETE CASCADE,
    name text NOT NULL CHECK (length(trim(name)) > 0),
    language text NOT NULL DEFAULT '' CHECK (language IN ('', 'nl', 'fr', 'de', 'fy')),
    folded text NOT NULL CHECK (length(folded) > 0),
    PRIMARY KEY (municipality, name)
);
CREATE INDEX municipality_names_folded_idx ON municipality_names (folded);
INSERT INTO municipality_names (municipality, name, folded) SELECT code, name, lower(name) FROM municipalities;

-- Named areas: a set of municipalities and regions a hub-admin defines ("Twente", "the 25 Aan de Slag
-- municipalities"). Funding agreements cover one; programmes' service areas may name one.
CREATE TABLE areas (
    id uuid PRIMARY KEY,
    name text NOT NULL CHECK (length(trim(name)) BETWEEN 1 AND 100),
    folded text NOT NULL UNIQUE,
    description text CHECK (length(description) <= 1000),
    created_at timestamptz NOT NULL DEFAULT public.koppel_now(),
    updated_at timestamptz NOT NULL DEFAULT public.koppel_now(),
    version integer NOT NULL DEFAULT 1
);
CREATE TABLE area_members (
    area_id uuid NOT NULL REFERENCES areas (id) ON DELETE CASCADE,
    municipality text REFERENCES municipalities (code),
    region text REFERENCES regions (code),
    CHECK (num_nonnulls(municipality, region) = 1),
    UNIQUE NULLS NOT DISTINCT (area_id, municipality, region)
);

-- The current municipalities of an area, from its members: itself, or every municipality in a member region.
CREATE FUNCTION area_municipalities(p_area uuid)
RETURNS TABLE (code text)
LANGUAGE sql STABLE
SET search_path = pg_catalog, public
AS $$
    SELECT a.municipality FROM public.area_members a WHERE a.area_id = p_area AND a.municipality IS NOT NULL
    UNION
    SELECT mr.municipality FROM public.area_members a JOIN public.municipality_regions mr ON mr.region = a.region
    WHERE a.area_id = p_area
$$;

-- Folding as `PlaceName.folded` in Swift does it for the names the importer writes: lower case, accents off, every
-- run of other characters one space. Here only for region names, which the importer does not fold itself.
CREATE FUNCTION fold_place_name(p_name text)
RETURNS text
LANGUAGE sql IMMUTABLE
AS $$
    SELECT trim(regexp_replace(translate(lower(p_name),
        'áàâäãåéèêëíìîïóòôöõúùûüýÿçñ', 'aaaaaaeeeeiiiiooooouuuuyycn'), '[^a-z0-9]+', ' ', 'g'))
$$;

-- The folded names of every region and named area each municipality lies in (after an import or an area's change),
-- in one statement. Owned by koppel_directory (in its schema, 0017), which may write only this column: the app role may call it but not
-- write municipalities itself.
CREATE FUNCTION directory_import.refresh_municipality_places()
RETURNS void
LANGUAGE sql SECURITY DEFINER
SET search_path = pg_catalog, public
AS $$
    UPDATE public.municipalities m SET places = p.places
    FROM (
        SELECT m.code, coalesce(array_agg(DISTINCT n.folded) FILTER (WHERE n.folded IS NOT NULL), '{}') AS places
        FROM public.municipalities m
        LEFT JOIN LATERAL (
            SELECT r.folded FROM public.municipality_regions mr
            JOIN (SELECT code, public.fold_place_name(name) AS folded FROM public.regions) r ON r.code = mr.region
            WHERE mr.municipality = m.code
            UNION ALL
            SELECT public.fold_place_name(c.name) FROM public.regions c WHERE c.kind = 'country' AND c.code = m.country_code
            UNION ALL
            SELECT a.folded FROM public.areas a WHERE m.code IN (SELECT public.area_municipalities(a.id))
        ) n ON true
        GROUP BY m.code
    ) p
    WHERE p.code = m.code AND p.places IS DISTINCT FROM m.places
$$;

ALTER FUNCTION directory_import.refresh_municipality_places() OWNER TO koppel_directory;
REVOKE ALL ON FUNCTION directory_import.refresh_municipality_places() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION directory_import.refresh_municipality_places() TO koppel_app;
GRANT SELECT ON regions, municipality_regions, municipality_names, areas, area_members TO koppel_app, koppel_directory;
GRANT SELECT, UPDATE (places) ON municipalities TO koppel_directory;
GRANT INSERT, UPDATE, DELETE ON areas, area_members TO koppel_app;

-- Funding agreements replace programme_funders: a funder funds a programme in an area for a period of whole
-- months (figures are protected per month, decision 0011), with an optional budget and target number of places.
CREATE TABLE funding_agreements (
    id uuid PRIMARY KEY,
    funder_id uuid NOT NULL REFERENCES organisations (id),
    programme_id uuid NOT NULL REFERENCES programmes (id) ON DELETE CASCADE,
    area_id uuid NOT NULL REFERENCES areas (id),
    starts_on date NOT NULL CHECK (extract(day FROM starts_on) = 1),
    -- The last day covered, the last of a month.
    ends_on date NOT NULL CHECK (extract(day FROM ends_on + 1) = 1),
    budget_euros bigint CHECK (budget_euros >= 0),
    target_places integer CHECK (target_places > 0),
    reference text CHECK (length(reference) <= 100),
    created_at timestamptz NOT NULL DEFAULT public.koppel_now(),
    updated_at timestamptz NOT NULL DEFAULT public.koppel_now(),
    version integer NOT NULL DEFAULT 1,
    CHECK (starts_on <= ends_on)
);
CREATE INDEX funding_agreements_funder_idx ON funding_agreements (funder_id);
CREATE INDEX funding_agreements_programme_idx ON funding_agreements (programme_id);
CREATE INDEX funding_agreements_area_idx ON funding_agreements (area_id);
GRANT SELECT, INSERT, UPDATE, DELETE ON funding_agreements TO koppel_app;

-- What programme_funders said, kept: each funder of a programme funds it everywhere, for as long as reports go.
-- Hub-admins narrow these to the real agreements (the demo seeder does for the demo funders).
INSERT INTO areas (id, name, folded, description)
SELECT gen_random_uuid(), 'Nederland en België', 'nederland en belgie',
       'Every municipality in the Netherlands and Belgium (made from the funders programmes had before agreements).'
WHERE EXISTS (SELECT FROM programme_funders);
INSERT INTO area_members (area_id, region) SELECT a.id, r.code FROM areas a, regions r WHERE a.folded = 'nederland en belgie' AND r.kind = 'country';
INSERT INTO funding_agreements (id, funder_id, programme_id, area_id, starts_on, ends_on)
SELECT gen_random_uuid(), f.funder_id, f.programme_id, a.id, DATE '2000-01-01', DATE '2099-12-31'
FROM programme_funders f, areas a WHERE a.folded = 'nederland en belgie';
DROP TABLE programme_funders;

-- Statistics by area: the facts carry the municipality (its current code), and every counting function takes the
-- municipalities to count (null: all). Spans are kept per set of municipalities, by the set's key.
ALTER TABLE referral_facts ADD COLUMN municipality text;
UPDATE referral_facts f SET municipality = r.municipality FROM referrals r WHERE r.id = f.referral_id;
ALTER TABLE referral_facts ALTER COLUMN municipality SET NOT NULL;
DROP INDEX referral_facts_running_idx;
CREATE INDEX referral_facts_running_idx ON referral_facts (programme_id, open_until)
    INCLUDE (started_at, referring_organisation_id, referrer_type, target_group, age_band, region, municipality) WHERE started_at IS NOT NULL;
GRANT SELECT ON municipality_regions, regions, areas, area_members, funding_agreements TO koppel_counts;

ALTER TABLE statistics_kept_spans ADD COLUMN area_key text NOT NULL DEFAULT '';
DO $$
BEGIN
    EXECUTE (SELECT format('ALTER TABLE statistics_kept_spans DROP CONSTRAINT %I', conname) FROM pg_constraint
             WHERE conrelid = 'statistics_kept_spans'::regclass AND contype = 'u');
END
$$;
ALTER TABLE statistics_kept_spans ADD UNIQUE NULLS NOT DISTINCT (programme_id, referrer, area_key, breakdown, starts_at, ends_at);
ALTER TABLE statistics_kept_counts ADD COLUMN area_key text NOT NULL DEFAULT '';
ALTER TABLE statistics_kept_waits ADD COLUMN area_key text NOT NULL DEFAULT '';
DROP INDEX statistics_kept_counts_idx;
DROP INDEX statistics_kept_waits_idx;
CREATE INDEX statistics_kept_counts_idx ON statistics_kept_counts (programme_id, area_key, breakdown, starts_at);
CREATE INDEX statistics_kept_waits_idx ON statistics_kept_waits (programme_id, area_key, breakdown, starts_at);

-- A set of municipalities' key: the same set, however ordered, the same key.
CREATE FUNCTION counts.area_key(p_municipalities text[])
RETURNS text
LANGUAGE sql IMMUTABLE
AS $$
    SELECT CASE WHEN p_municipalities IS NULL THEN '' ELSE md5(array_to_string(ARRAY(SELECT DISTINCT unnest(p_municipalities) ORDER BY 1), ',')) END
$$;
ALTER FUNCTION counts.area_key(text[]) OWNER TO koppel_counts;

-- As 0015, with the municipality on the fact.
CREATE OR REPLACE FUNCTION counts.record_referral_facts()
RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, public
SET jit = off
AS $$
DECLARE
    v_programme uuid;
    v_from timestamptz;
BEGIN
    INSERT INTO public.referral_facts (referral_id, programme_id, referring_organisation_id, referrer_type, target_group,
                                       age_band, region, municipality, received_at, last_step_at)
    SELECT r.id, r.programme_id, r.referring_organisation_id, o.organisation_type, r.target_group, r.age_band, m.region,
           m.code, e.occurred_at, e.occurred_at
    FROM (SELECT referral_id, min(occurred_at) AS occurred_at FROM new_events WHERE to_state = 'submitted' GROUP BY referral_id) e
    JOIN public.referrals r ON r.id = e.referral_id
    JOIN public.organisations o ON o.id = r.referring_organisation_id
    JOIN public.municipalities m ON m.code = r.municipality
    ON CONFLICT (referral_id) DO NOTHING;

    UPDATE public.referral_facts f
    SET first_waitlisted_at = coalesce(f.first_waitlisted_at, s.waitlisted_at),
        accepted_at = coalesce(f.accepted_at, s.accepted_at),
        started_at = coalesce(f.started_at, s.started_at),
        closed_at = coalesce(s.closed_at, f.closed_at),
        closed_as = coalesce(s.closed_as, f.closed_as),
        close_reason = CASE WHEN s.closed_at IS NULL THEN f.close_reason ELSE s.close_reason END,
        last_step_at = greatest(f.last_step_at, s.last_at)
    FROM (
        SELECT referral_id,
               min(occurred_at) FILTER (WHERE to_state = 'waitlisted') AS waitlisted_at,
               min(occurred_at) FILTER (WHERE to_state = 'accepted') AS accepted_at,
               min(occurred_at) FILTER (WHERE to_state = 'active') AS started_at,
               (array_agg(occurred_at ORDER BY id DESC) FILTER (WHERE to_state IN ('declined', 'withdrawn', 'forwarded', 'completed', 'ended')))[1] AS closed_at,
               (array_agg(to_state ORDER BY id DESC) FILTER (WHERE to_state IN ('declined', 'withdrawn', 'forwarded', 'completed', 'ended')))[1] AS closed_as,
               (array_agg(reason ORDER BY id DESC) FILTER (WHERE to_state IN ('declined', 'withdrawn', 'forwarded', 'completed', 'ended')))[1] AS close_reason,
               max(occurred_at) AS last_at
        FROM new_events GROUP BY referral_id
    ) s
    WHERE f.referral_id = s.referral_id;

    UPDATE public.referral_facts f
    SET answered_at = a.answered_at, answered_in_time = r.answered_in_time
    FROM (
        SELECT referral_id, min(occurred_at) AS answered_at FROM new_events
        WHERE from_state = 'submitted' AND to_state IN ('accepted', 'declined', 'waitlisted', 'forwarded')
        GROUP BY referral_id
    ) a
    JOIN public.referrals r ON r.id = a.referral_id
    WHERE f.referral_id = a.referral_id AND f.answered_at IS NULL AND r.answered_in_time IS NOT NULL;

    FOR v_programme, v_from IN
        SELECT r.programme_id, min(e.occurred_at)
        FROM new_events e JOIN public.referrals r ON r.id = e.referral_id
        WHERE e.occurred_at < clock_timestamp() - interval '1 hour'
        GROUP BY r.programme_id
    LOOP
        DELETE FROM public.statistics_kept_spans WHERE programme_id = v_programme AND ends_at > v_from;
        DELETE FROM public.statistics_kept_counts WHERE programme_id = v_programme AND ends_at > v_from;
        DELETE FROM public.statistics_kept_waits WHERE programme_id = v_programme AND ends_at > v_from;
    END LOOP;
    RETURN NULL;
END
$$;

-- After an import: facts of municipalities that have ended move to their successor (followed to the end of the
-- chain), and every fact takes its municipality's current statistical region. When anything moved, the kept spans
-- no longer hold and are forgotten. Returns how many facts moved. Not a definer function: the importer runs it as
-- koppel_counts, the app role never.
CREATE FUNCTION counts.roll_places()
RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog, public
AS $$
DECLARE
    v_moved bigint;
BEGIN
    WITH RECURSIVE chain (code, current, depth) AS (
        SELECT m.code, m.code, 0 FROM public.municipalities m
        UNION ALL
        SELECT c.code, s.successor, c.depth + 1
        FROM chain c JOIN public.municipalities s ON s.code = c.current
        WHERE s.successor IS NOT NULL AND s.ended_on <= public.koppel_today() AND c.depth < 20
    ), final AS (
        SELECT DISTINCT ON (code) code, current FROM chain ORDER BY code, depth DESC
    )
    UPDATE public.referral_facts f SET municipality = fin.current, region = m.region
    FROM final fin JOIN public.municipalities m ON m.code = fin.current
    WHERE fin.code = f.municipality AND (f.municipality <> fin.current OR f.region <> m.region);
    GET DIAGNOSTICS v_moved = ROW_COUNT;
    IF v_moved > 0 THEN
        DELETE FROM public.statistics_kept_spans;
        DELETE FROM public.statistics_kept_counts;
        DELETE FROM public.statistics_kept_waits;
    END IF;
    RETURN v_moved;
END
$$;
ALTER FUNCTION counts.roll_places() OWNER TO koppel_counts;
REVOKE ALL ON FUNCTION counts.roll_places() FROM PUBLIC;
GRANT SELECT ON municipalities TO koppel_counts;

-- The parts of a programme's municipalities that its funding agreements' areas cut them into: municipalities in
-- the same agreements' areas form one part. Each part is protected on its own and reports only add parts up
-- (decision 0021), so two agreements' overlapping areas give nothing to subtract. `areas` is the part's areas.
CREATE FUNCTION counts.programme_parts(p_programme uuid)
RETURNS TABLE (areas uuid[], municipalities text[])
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, public
AS $$
    WITH funded AS (
        SELECT DISTINCT area_id FROM public.funding_agreements WHERE programme_id = p_programme
    ), inside AS (
        SELECT f.area_id, c.code FROM funded f CROSS JOIN LATERAL public.area_municipalities(f.area_id) c
    ), signatures AS (
        SELECT m.code, coalesce(array_agg(i.area_id ORDER BY i.area_id) FILTER (WHERE i.area_id IS NOT NULL), '{}') AS areas
        FROM public.municipalities m LEFT JOIN inside i ON i.code = m.code
        GROUP BY m.code
    )
    SELECT s.areas, array_agg(s.code ORDER BY s.code) FROM signatures s GROUP BY s.areas ORDER BY s.areas
$$;
ALTER FUNCTION counts.programme_parts(uuid) OWNER TO koppel_counts;
REVOKE ALL ON FUNCTION counts.programme_parts(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION counts.programme_parts(uuid) TO koppel_app;

-- The counting functions of 0007/0015, each with the municipalities to count (null: all). Dropped and made again,
-- as their arguments change; the bodies are as before but for that filter and the kept spans' area key.
DROP FUNCTION counts.statistics_months(uuid[], uuid, date, date, text);
DROP FUNCTION counts.statistics_waits(uuid[], uuid, date, date, text);
DROP FUNCTION counts.month_counts(uuid, uuid, date, text);
DROP FUNCTION counts.month_waits(uuid, uuid, date, text);
DROP FUNCTION counts.kept_until(uuid, uuid, date, text);
DROP FUNCTION counts.kept_span(uuid, uuid, timestamptz, timestamptz, text);
DROP FUNCTION counts.waits_counted(uuid, uuid, timestamptz, timestamptz, text);
DROP FUNCTION counts.running_counted(uuid, uuid, timestamptz, text);
DROP FUNCTION counts.steps_counted(uuid, uuid, timestamptz, timestamptz, text);
-- Kept before facts had their municipality's current region: counted again when next asked for.
DELETE FROM statistics_kept_spans;
DELETE FROM statistics_kept_counts;
DELETE FROM statistics_kept_waits;

CREATE FUNCTION counts.steps_counted(p_programme uuid, p_referrer uuid, p_municipalities text[], p_from timestamptz, p_to timestamptz, p_breakdown text)
RETURNS TABLE (breakdown_value text, measure text, reason text, referrals bigint)
ROWS 20
LANGUAGE sql STABLE
SET search_path = pg_catalog, public
SET jit = off
AS $$
    WITH stepped AS (
        SELECT counts.breakdown_value(p_breakdown, f.programme_id, f.referrer_type, f.target_group, f.age_band, f.region) AS value,
               f.closed_as, f.close_reason,
               count(*) FILTER (WHERE f.received_at >= p_from) AS received,
               count(*) FILTER (WHERE f.first_waitlisted_at >= p_from AND f.first_waitlisted_at < p_to) AS waitlisted,
               count(*) FILTER (WHERE f.accepted_at >= p_from AND f.accepted_at < p_to) AS accepted,
               count(*) FILTER (WHERE f.closed_at >= p_from AND f.closed_at < p_to) AS closed,
               count(*) FILTER (WHERE f.answered_at >= p_from AND f.answered_at < p_to AND f.answered_in_time) AS answered_in_time,
               count(*) FILTER (WHERE f.answered_at >= p_from AND f.answered_at < p_to AND NOT f.answered_in_time) AS answered_late
        FROM public.referral_facts f
        WHERE p_from < p_to AND f.programme_id = p_programme AND f.last_step_at >= p_from AND f.received_at < p_to
          AND (p_referrer IS NULL OR f.referring_organisation_id = p_referrer)
          AND (p_municipalities IS NULL OR f.municipality = ANY (p_municipalities))
        GROUP BY 1, 2, 3
    ), measured AS (
        SELECT s.value, 'received' AS measure, NULL::text AS reason, s.received AS referrals FROM stepped s
        UNION ALL SELECT s.value, 'waitlisted', NULL, s.waitlisted FROM stepped s
        UNION ALL SELECT s.value, 'accepted', NULL, s.accepted FROM stepped s
        UNION ALL SELECT s.value, CASE s.closed_as WHEN 'ended' THEN 'ended_early' ELSE s.closed_as END, NULL, s.closed
                  FROM stepped s WHERE s.closed_as IS NOT NULL
        UNION ALL SELECT s.value, CASE s.closed_as WHEN 'ended' THEN 'ended_early' ELSE s.closed_as END, s.close_reason, s.closed
                  FROM stepped s WHERE s.closed_as IN ('ended', 'declined')
        UNION ALL SELECT s.value, 'answered', NULL, s.answered_in_time + s.answered_late FROM stepped s
        UNION ALL SELECT s.value, 'answered_in_time', NULL, s.answered_in_time FROM stepped s
        UNION ALL SELECT s.value, 'answered_late', NULL, s.answered_late FROM stepped s
    )
    SELECT m.value, m.measure, m.reason, sum(m.referrals)::bigint FROM measured m
    GROUP BY 1, 2, 3 HAVING sum(m.referrals) > 0
$$;

CREATE FUNCTION counts.running_counted(p_programme uuid, p_referrer uuid, p_municipalities text[], p_at timestamptz, p_breakdown text)
RETURNS TABLE (breakdown_value text, measure text, reason text, referrals bigint)
ROWS 20
LANGUAGE sql STABLE
SET search_path = pg_catalog, public
SET jit = off
AS $$
    SELECT counts.breakdown_value(p_breakdown, f.programme_id, f.referrer_type, f.target_group, f.age_band, f.region),
           'active_at_end', NULL::text, count(*)
    FROM public.referral_facts f
    WHERE f.programme_id = p_programme AND f.started_at IS NOT NULL AND f.open_until >= p_at AND f.started_at < p_at
      AND (p_referrer IS NULL OR f.referring_organisation_id = p_referrer)
      AND (p_municipalities IS NULL OR f.municipality = ANY (p_municipalities))
    GROUP BY 1
$$;

CREATE FUNCTION counts.waits_counted(p_programme uuid, p_referrer uuid, p_municipalities text[], p_from timestamptz, p_to timestamptz, p_breakdown text)
RETURNS TABLE (breakdown_value text, wait text, days integer, referrals bigint)
ROWS 50
LANGUAGE sql STABLE
SET search_path = pg_catalog, public
SET jit = off
AS $$
    SELECT counts.breakdown_value(p_breakdown, f.programme_id, f.referrer_type, f.target_group, f.age_band, f.region), w.wait,
           floor(extract(epoch FROM w.until - w.since) / 86400)::integer, count(*)
    FROM public.referral_facts f
    CROSS JOIN LATERAL (VALUES ('submitted_to_accepted', f.received_at, f.accepted_at),
                               ('accepted_to_active', f.accepted_at, f.started_at)) AS w (wait, since, until)
    WHERE p_from < p_to AND f.programme_id = p_programme AND f.last_step_at >= p_from AND f.received_at < p_to
      AND (p_referrer IS NULL OR f.referring_organisation_id = p_referrer)
      AND (p_municipalities IS NULL OR f.municipality = ANY (p_municipalities))
      AND ((f.accepted_at >= p_from AND f.accepted_at < p_to) OR (f.started_at >= p_from AND f.started_at < p_to))
      AND w.since IS NOT NULL AND w.until >= p_from AND w.until < p_to
    GROUP BY 1, 2, 3
$$;

CREATE FUNCTION counts.kept_span(p_programme uuid, p_referrer uuid, p_municipalities text[], p_from timestamptz, p_to timestamptz, p_breakdown text)
RETURNS boolean
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, public
SET jit = off
AS $$
DECLARE
    v_key text := counts.area_key(p_municipalities);
BEGIN
    IF p_to > clock_timestamp() - interval '1 hour' THEN
        RETURN false;
    END IF;
    IF EXISTS (SELECT FROM public.statistics_kept_spans k WHERE k.programme_id = p_programme AND k.referrer IS NOT DISTINCT FROM p_referrer
               AND k.area_key = v_key AND k.breakdown = p_breakdown AND k.starts_at = p_from AND k.ends_at = p_to) THEN
        RETURN true;
    END IF;
    INSERT INTO public.statistics_kept_spans (programme_id, referrer, area_key, breakdown, starts_at, ends_at)
    VALUES (p_programme, p_referrer, v_key, p_breakdown, p_from, p_to)
    ON CONFLICT (programme_id, referrer, area_key, breakdown, starts_at, ends_at) DO NOTHING;
    IF FOUND THEN
        INSERT INTO public.statistics_kept_counts (programme_id, referrer, breakdown, starts_at, ends_at, breakdown_value, measure,
                                                   reason, referrals, area_key)
        SELECT p_programme, p_referrer, p_breakdown, p_from, p_to, c.*, v_key
        FROM (SELECT * FROM counts.steps_counted(p_programme, p_referrer, p_municipalities, p_from, p_to, p_breakdown)
              UNION ALL SELECT * FROM counts.running_counted(p_programme, p_referrer, p_municipalities, p_to, p_breakdown)) c;
        INSERT INTO public.statistics_kept_waits (programme_id, referrer, breakdown, starts_at, ends_at, breakdown_value, wait, days,
                                                  referrals, area_key)
        SELECT p_programme, p_referrer, p_breakdown, p_from, p_to, w.*, v_key
        FROM counts.waits_counted(p_programme, p_referrer, p_municipalities, p_from, p_to, p_breakdown) w;
    END IF;
    RETURN true;
END
$$;

CREATE FUNCTION counts.kept_until(p_programme uuid, p_referrer uuid, p_municipalities text[], p_month date, p_breakdown text)
RETURNS timestamptz
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, public
SET jit = off
AS $$
DECLARE
    v_starts timestamptz := p_month::timestamp AT TIME ZONE 'Europe/Amsterdam';
    v_ends timestamptz := (p_month + interval '1 month')::timestamp AT TIME ZONE 'Europe/Amsterdam';
    v_day date := p_month;
BEGIN
    IF counts.kept_span(p_programme, p_referrer, p_municipalities, v_starts, v_ends, p_breakdown) THEN
        RETURN v_ends;
    END IF;
    WHILE v_day < p_month + interval '1 month' AND counts.kept_span(
        p_programme, p_referrer, p_municipalities, v_day::timestamp AT TIME ZONE 'Europe/Amsterdam',
        (v_day + 1)::timestamp AT TIME ZONE 'Europe/Amsterdam', p_breakdown) LOOP
        v_day := v_day + 1;
    END LOOP;
    RETURN v_day::timestamp AT TIME ZONE 'Europe/Amsterdam';
END
$$;

CREATE FUNCTION counts.month_counts(p_programme uuid, p_referrer uuid, p_municipalities text[], p_month date, p_breakdown text)
RETURNS TABLE (breakdown_value text, measure text, reason text, referrals bigint)
ROWS 20
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, public
SET jit = off
AS $$
DECLARE
    v_starts timestamptz := p_month::timestamp AT TIME ZONE 'Europe/Amsterdam';
    v_ends timestamptz := (p_month + interval '1 month')::timestamp AT TIME ZONE 'Europe/Amsterdam';
    v_kept_until timestamptz := counts.kept_until(p_programme, p_referrer, p_municipalities, p_month, p_breakdown);
    v_key text := counts.area_key(p_municipalities);
BEGIN
    IF v_kept_until = v_ends THEN
        RETURN QUERY
        SELECT c.breakdown_value, c.measure, c.reason, c.referrals FROM public.statistics_kept_counts c
        WHERE c.programme_id = p_programme AND c.area_key = v_key AND c.breakdown = p_breakdown AND c.starts_at = v_starts
          AND c.ends_at = v_ends AND c.referrer IS NOT DISTINCT FROM p_referrer;
        RETURN;
    END IF;
    RETURN QUERY
    SELECT s.breakdown_value, s.measure, s.reason, sum(s.referrals)::bigint FROM (
        SELECT c.breakdown_value, c.measure, c.reason, c.referrals FROM public.statistics_kept_counts c
        WHERE c.programme_id = p_programme AND c.area_key = v_key AND c.breakdown = p_breakdown AND c.starts_at >= v_starts
          AND c.ends_at <= v_kept_until AND c.ends_at - c.starts_at < interval '2 days' AND c.measure <> 'active_at_end'
          AND c.referrer IS NOT DISTINCT FROM p_referrer
        UNION ALL
        SELECT * FROM counts.steps_counted(p_programme, p_referrer, p_municipalities, v_kept_until, v_ends, p_breakdown)
        UNION ALL
        SELECT * FROM counts.running_counted(p_programme, p_referrer, p_municipalities, least(v_ends, now()), p_breakdown) WHERE v_starts <= now()
    ) s GROUP BY 1, 2, 3;
END
$$;

CREATE FUNCTION counts.month_waits(p_programme uuid, p_referrer uuid, p_municipalities text[], p_month date, p_breakdown text)
RETURNS TABLE (breakdown_value text, wait text, days integer, referrals bigint)
ROWS 50
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, public
SET jit = off
AS $$
DECLARE
    v_starts timestamptz := p_month::timestamp AT TIME ZONE 'Europe/Amsterdam';
    v_ends timestamptz := (p_month + interval '1 month')::timestamp AT TIME ZONE 'Europe/Amsterdam';
    v_kept_until timestamptz := counts.kept_until(p_programme, p_referrer, p_municipalities, p_month, p_breakdown);
    v_key text := counts.area_key(p_municipalities);
BEGIN
    IF v_kept_until = v_ends THEN
        RETURN QUERY
        SELECT k.breakdown_value, k.wait, k.days, k.referrals FROM public.statistics_kept_waits k
        WHERE k.programme_id = p_programme AND k.area_key = v_key AND k.breakdown = p_breakdown AND k.starts_at = v_starts
          AND k.ends_at = v_ends AND k.referrer IS NOT DISTINCT FROM p_referrer;
        RETURN;
    END IF;
    RETURN QUERY
    SELECT w.breakdown_value, w.wait, w.days, sum(w.referrals)::bigint FROM (
        SELECT k.breakdown_value, k.wait, k.days, k.referrals FROM public.statistics_kept_waits k
        WHERE k.programme_id = p_programme AND k.area_key = v_key AND k.breakdown = p_breakdown AND k.starts_at >= v_starts
          AND k.ends_at <= v_kept_until AND k.ends_at - k.starts_at < interval '2 days' AND k.referrer IS NOT DISTINCT FROM p_referrer
        UNION ALL
        SELECT * FROM counts.waits_counted(p_programme, p_referrer, p_municipalities, v_kept_until, v_ends, p_breakdown)
    ) w GROUP BY 1, 2, 3;
END
$$;

ALTER FUNCTION counts.steps_counted(uuid, uuid, text[], timestamptz, timestamptz, text) OWNER TO koppel_counts;
ALTER FUNCTION counts.running_counted(uuid, uuid, text[], timestamptz, text) OWNER TO koppel_counts;
ALTER FUNCTION counts.waits_counted(uuid, uuid, text[], timestamptz, timestamptz, text) OWNER TO koppel_counts;
ALTER FUNCTION counts.kept_span(uuid, uuid, text[], timestamptz, timestamptz, text) OWNER TO koppel_counts;
ALTER FUNCTION counts.kept_until(uuid, uuid, text[], date, text) OWNER TO koppel_counts;
ALTER FUNCTION counts.month_counts(uuid, uuid, text[], date, text) OWNER TO koppel_counts;
ALTER FUNCTION counts.month_waits(uuid, uuid, text[], date, text) OWNER TO koppel_counts;
REVOKE ALL ON FUNCTION counts.steps_counted(uuid, uuid, text[], timestamptz, timestamptz, text),
                       counts.running_counted(uuid, uuid, text[], timestamptz, text),
                       counts.waits_counted(uuid, uuid, text[], timestamptz, timestamptz, text),
                       counts.kept_span(uuid, uuid, text[], timestamptz, timestamptz, text),
                       counts.kept_until(uuid, uuid, text[], date, text),
                       counts.month_counts(uuid, uuid, text[], date, text), counts.month_waits(uuid, uuid, text[], date, text),
                       counts.area_key(text[]) FROM PUBLIC;

-- The two functions the service calls: one programme's monthly counts and its waits, over the municipalities given
-- (null: all of them; a part of the programme, `counts.programme_parts`).
CREATE FUNCTION counts.statistics_months(p_programme uuid, p_referrer uuid, p_municipalities text[], p_from date, p_to date, p_breakdown text)
RETURNS TABLE (month date, breakdown_value text, measure text, reason text, referrals bigint)
LANGUAGE sql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, public
SET jit = off
AS $$
    SELECT m.month::date, c.breakdown_value, c.measure, c.reason, c.referrals
    FROM generate_series(p_from::timestamp, (p_to - 1)::timestamp, interval '1 month') AS m (month)
    CROSS JOIN LATERAL counts.month_counts(p_programme, p_referrer, p_municipalities, m.month::date, p_breakdown) c
$$;

-- Waits of a report's programmes over the municipalities given, in one answer, so medians are of the whole report.
CREATE FUNCTION counts.statistics_waits(p_programmes uuid[], p_referrer uuid, p_municipalities text[], p_from date, p_to date, p_breakdown text)
RETURNS TABLE (breakdown_value text, wait text, referrals bigint, median double precision, p90 double precision)
LANGUAGE sql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, public
SET jit = off
AS $$
    WITH days AS (
        SELECT w.breakdown_value, w.wait, w.days, w.referrals
        FROM (SELECT DISTINCT unnest(p_programmes) AS id) p
        CROSS JOIN generate_series(p_from::timestamp, (p_to - 1)::timestamp, interval '1 month') AS m (month)
        CROSS JOIN LATERAL counts.month_waits(p.id, p_referrer, p_municipalities, m.month::date, p_breakdown) w
    ), histogram AS (
        SELECT breakdown_value, wait, days, sum(referrals) AS referrals FROM days GROUP BY 1, 2, 3
        UNION ALL
        SELECT 'total', wait, days, sum(referrals) FROM days WHERE p_breakdown <> 'total' GROUP BY 2, 3
    ), cumulative AS (
        SELECT breakdown_value, wait, days,
               sum(referrals) OVER (PARTITION BY breakdown_value, wait ORDER BY days) AS up_to,
               sum(referrals) OVER (PARTITION BY breakdown_value, wait) AS referrals
        FROM histogram
    )
    SELECT breakdown_value, wait, max(referrals)::bigint,
           min(days) FILTER (WHERE up_to >= 0.5 * referrals)::double precision,
           min(days) FILTER (WHERE up_to >= 0.9 * referrals)::double precision
    FROM cumulative GROUP BY 1, 2
$$;

ALTER FUNCTION counts.statistics_months(uuid, uuid, text[], date, date, text) OWNER TO koppel_counts;
ALTER FUNCTION counts.statistics_waits(uuid[], uuid, text[], date, date, text) OWNER TO koppel_counts;
REVOKE ALL ON FUNCTION counts.statistics_months(uuid, uuid, text[], date, date, text),
                       counts.statistics_waits(uuid[], uuid, text[], date, date, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION counts.statistics_months(uuid, uuid, text[], date, date, text),
                          counts.statistics_waits(uuid[], uuid, text[], date, date, text) TO koppel_app;
