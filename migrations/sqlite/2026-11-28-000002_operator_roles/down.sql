DROP VIEW operator_roles;
