-- Reserved: number 011 belongs to another branch's migration (issue 22 notes). Delete this file when that
-- branch is merged; it exists only so the numbers stay without gaps until then.
SELECT 1;
