-- Spec prebuilds.md B16: a preset's optional target expression (a subset of the Expr language, parsed by
-- Lifecycle.Workflows.Prebuilds.TargetExpression) that overrides its scheduled prebuild target. The API refuses text
-- that does not parse, and text on a preset without a valid scheduling_timezone; an expression that parses but fails
-- when evaluated is stored, and the reconciler falls back to the scheduled target (desired source expression_fallback).
-- Its claims_/misses_ variables read prebuild_events through prebuild_events_preset_id_created_at_idx (0001).
ALTER TABLE presets
    ADD COLUMN target_expression text NULL
        CONSTRAINT presets_target_expression_not_blank CHECK (btrim(target_expression) <> '')
        CONSTRAINT presets_target_expression_length CHECK (char_length(target_expression) <= 1000);

