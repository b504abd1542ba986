import * as v from 'valibot'
import { email, looseUsername, tagColor, tagNames, uuid } from '../core/fields.ts'
import { DEFAULT_TAG_COLOR } from '../core/colors.ts'

export const TAG_MODES = ['set', 'add', 'remove'] as const
export type TagMode = (typeof TAG_MODES)[number]

// ManyChat sends an unset custom field as null; an optional field that is null counts as not given.
export const updateTagsSchema = v.pipe(
  v.object({
    organization_id: uuid,
    contact_id: v.nullish(uuid),
    username: v.nullish(looseUsername),
    mode: v.picklist(TAG_MODES, `must be one of ${TAG_MODES.join(', ')}`),
    tag_names: tagNames,
    tag_color: v.nullish(tagColor, DEFAULT_TAG_COLOR),
    email: v.nullish(email),
  }),
  // partialCheck runs even when other fields are invalid, so one 400 names every problem.
  v.forward(
    v.partialCheck(
      [['contact_id'], ['username']],
      (input) => input.contact_id != null || input.username != null,
      'is required when username is not given',
    ),
    ['contact_id'],
  ),
  v.forward(
    v.partialCheck(
      [['mode'], ['tag_names']],
      (input) => input.mode === 'set' || input.tag_names.length > 0,
      'must not be empty when mode is add or remove',
    ),
    ['tag_names'],
  ),
)

export type UpdateTagsInput = v.InferOutput<typeof updateTagsSchema>
